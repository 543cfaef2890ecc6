// The viewer on a socket: the Hono application (app.ts) served by Node's HTTP server through @hono/node-server,
// on 127.0.0.1 and a free port unless told otherwise, with a token drawn for this process.
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { createAdaptorServer } from '@hono/node-server';
import type { ExecutionStore } from '../store.js';
import { createViewerApp, type ViewerOptions } from './app.js';
import type { AccessPolicy } from './security/access.js';
import { newToken } from './security/token.js';

export interface ViewerServerOptions {
  store: ExecutionStore;
  database: ViewerOptions['database'];
  /** The address to bind: a loopback one unless `exposed`. */
  host: string;
  /** 0: a free one. */
  port: number;
  writes: boolean;
  /** Bound beyond this machine, which the caller has checked was asked for: every request then needs the token. */
  exposed: boolean;
  /** Every request needs the token, on loopback too. */
  tokenForReads?: boolean;
  staticRoot?: string;
  now?: () => number;
  log?: (message: string) => void;
}

export interface RunningViewer {
  /** The page's address: http://host:port/ */
  url: string;
  port: number;
  token: string;
  instance: string;
  close(): Promise<void>;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** The Host header values that name this server on a loopback address. */
export function loopbackHosts(host: string, port: number): string[] {
  const named = host === 'localhost' ? ['localhost', '127.0.0.1', '[::1]'] : host === '::1' || host === '[::1]' ? ['[::1]', 'localhost'] : [host, ...(host === '127.0.0.1' ? ['localhost'] : [])];
  return named.map((name) => `${name}:${port}`);
}

export async function startViewer(options: ViewerServerOptions): Promise<RunningViewer> {
  const token = newToken();
  const instance = randomUUID();
  let allowed: string[] = [];
  const access: AccessPolicy = {
    token,
    writes: options.writes,
    exposed: options.exposed,
    tokenForReads: options.tokenForReads === true,
    allowedHosts: () => allowed,
    cookieName: `execution-history-${instance.slice(0, 8)}`,
  };
  const app = createViewerApp({
    store: options.store,
    access,
    database: options.database,
    instance,
    ...(options.staticRoot === undefined ? {} : { staticRoot: options.staticRoot }),
    ...(options.now === undefined ? {} : { now: options.now }),
    ...(options.log === undefined ? {} : { log: options.log }),
  });
  const bindHost = options.host.replace(/^\[(.*)\]$/, '$1');
  const server = createAdaptorServer({ fetch: app.fetch, hostname: bindHost, port: options.port, overrideGlobalObjects: false });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, bindHost, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  allowed = loopbackHosts(bindHost, port);
  const shownHost = bindHost === '0.0.0.0' || bindHost === '::' ? hostname() : bindHost.includes(':') ? `[${bindHost}]` : bindHost;
  return {
    url: `http://${shownHost}:${port}/`,
    port,
    token,
    instance,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive connections of a browser would hold close() open for minutes.
        if ('closeAllConnections' in server) server.closeAllConnections();
      }),
  };
}
