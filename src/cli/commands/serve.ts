// `serve`: what it accepts. The work, and the server with Hono, are in ../actions/serve.ts, loaded when it runs.
import { InvalidArgumentError, type Command } from 'commander';
import type { Run } from './shared.js';

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65_535) throw new InvalidArgumentError(`expected a port from 0 to 65535 (0: a free one), got "${value}".`);
  return port;
}

export function registerServe(program: Command, run: Run): void {
  program
    .command('serve')
    .description('serve the history viewer and its JSON API on this machine (read-only unless --allow-writes)')
    .option('--port <port>', 'the port to listen on (default: 0, a free one; the address is printed)', parsePort, 0)
    .option('--host <address>', 'the address to listen on (default: 127.0.0.1, this machine only)', '127.0.0.1')
    .option('--expose-history', 'allow a --host other machines can reach; every request then needs the token printed at start')
    .option('--require-token', 'every request needs the token printed at start, on this machine too (for a machine other users share)')
    .option('--allow-writes', 'let the viewer delete runs and apply retention (with the token printed at start)')
    .option('--open', 'open the viewer in the browser')
    .action(run(async () => (await import('../actions/serve.js')).serve));
}
