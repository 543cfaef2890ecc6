// A local TCP port nobody listens on right now. Another process may take it before the server binds it, so the
// caller retries on "address in use"; asking the kernel for port 0 makes that rare.
import { createServer } from 'node:net';

export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : undefined;
      probe.close(() => (port === undefined ? reject(new Error('no port from the kernel')) : resolve(port)));
    });
  });
}
