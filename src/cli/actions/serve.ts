// `serve`: the viewer's server (src/viewer/) on the history the global options name, until SIGINT or SIGTERM. It
// prints its address (and, when the token is needed, the link that hands it to a browser), registers itself so
// that `show` can link to it, and on the way out stops listening, removes its registration and closes the store.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { databaseIdentity, register, unregister } from '../../viewer/registry/registration.js';
import { isLoopback, startViewer } from '../../viewer/server.js';
import { CliError, EXIT } from '../cli-error.js';
import type { Context } from '../context.js';

interface ServeOptions {
  port: number;
  host: string;
  exposeHistory?: boolean;
  requireToken?: boolean;
  allowWrites?: boolean;
  open?: boolean;
}

/** The built page, beside the command's bundle: dist/cli/ → dist/viewer/. */
const PAGE_FOLDER = fileURLToPath(new URL('../viewer/', import.meta.url));

export async function serve(context: Context, options: ServeOptions): Promise<void> {
  const exposed = !isLoopback(options.host);
  const tokenForReads = exposed || options.requireToken === true;
  if (exposed && options.exposeHistory !== true) {
    throw new CliError(
      `--host ${options.host} lets other machines reach the viewer, and with it every payload in the history. Add --expose-history if that is meant: every request then needs the token the command prints.`,
      EXIT.usage,
    );
  }
  const store = await context.openExisting();
  const { terminal } = context;
  let stopping: (() => void) | undefined;
  const stopped = new Promise<void>((resolve) => (stopping = resolve));
  const signals = ['SIGINT', 'SIGTERM'] as const;
  const stop = () => stopping?.();
  for (const signal of signals) process.on(signal, stop);
  let viewer: Awaited<ReturnType<typeof startViewer>> | undefined;
  const identity = databaseIdentity(context.dbPath);
  try {
    viewer = await startViewer({
      store,
      database: { backend: context.isPostgres ? 'postgres' : 'sqlite', name: context.dbName },
      host: options.host,
      port: options.port,
      writes: options.allowWrites === true,
      exposed,
      tokenForReads,
      staticRoot: PAGE_FOLDER,
      now: context.io.now,
    }).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') throw new CliError(`port ${options.port} on ${options.host} is taken; choose another --port, or 0 for a free one.`);
      if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND') throw new CliError(`cannot listen on ${options.host}: this machine has no such address.`, EXIT.usage);
      throw error;
    });
    const link = `${viewer.url}?token=${viewer.token}`;
    const registered = register(identity, { url: viewer.url, pid: process.pid, instance: viewer.instance, token: viewer.token, exposed, startedAt: context.io.now() });
    if (context.json) {
      terminal.json({ url: viewer.url, port: viewer.port, host: options.host, writes: options.allowWrites === true, exposed, tokenRequired: tokenForReads, token: tokenForReads || options.allowWrites ? viewer.token : null });
    } else {
      terminal.printWhole(`Viewer of ${context.dbName} at ${viewer.url}`);
      if (exposed) {
        terminal.print(terminal.colors.yellow(`Listening on ${options.host}: other machines can reach it. Every request needs the token; open this link, or send "Authorization: Bearer <token>":`));
        terminal.printWhole(link);
      } else if (tokenForReads) {
        terminal.print('Every request needs the token (--require-token); open this link, or send "Authorization: Bearer <token>":');
        terminal.printWhole(link);
      } else if (options.allowWrites) {
        terminal.print('Writes allowed: open this link to delete runs from the page; API clients send "Authorization: Bearer <token>":');
        terminal.printWhole(link);
      } else {
        terminal.print(terminal.colors.dim('Read-only (--allow-writes lets it delete runs).'));
      }
      if (registered.problem !== undefined) terminal.note(`note: ${registered.problem}; "show" will not print links to this viewer.`);
      terminal.print(terminal.colors.dim('Ctrl+C stops it.'));
    }
    await terminal.flush();
    if (options.open) openBrowser(tokenForReads || options.allowWrites ? link : viewer.url, (problem) => terminal.note(`note: could not open a browser (${problem}); open the address above.`));
    await stopped;
  } finally {
    for (const signal of signals) process.off(signal, stop);
    if (viewer !== undefined) {
      unregister(identity, viewer.instance);
      await viewer.close();
    }
    await store.close();
  }
  if (!context.json) terminal.print('Viewer stopped.');
}

function openBrowser(url: string, failed: (problem: string) => void): void {
  const [command, ...args] =
    process.platform === 'darwin' ? ['open', url] : process.platform === 'win32' ? ['cmd', '/c', 'start', '""', url] : ['xdg-open', url];
  const child = spawn(command as string, args, { stdio: 'ignore', detached: true });
  child.on('error', (error) => failed(error.message));
  child.unref();
}
