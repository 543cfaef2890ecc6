// What the commands share: how an action is loaded and gets its context, and options limited to a set of values.
import { type Command, Option } from 'commander';
import type { Context, GlobalOptions } from '../context.js';
import type { Io } from '../terminal.js';

/** A command's work: its context from the global options, then its own options and arguments. */
export type Work<O, A extends unknown[]> = (context: Context, options: O, ...args: A) => Promise<void>;

/**
 * Makes a command's action from a loader of its work, `async () => (await import('../actions/list.js')).list`:
 * the work's modules (the store, drizzle, tables) load only when that command runs, never for `--help` or another.
 */
export type Run = <O, A extends unknown[]>(load: () => Promise<Work<O, A>>) => (...args: unknown[]) => Promise<void>;

export function runner(io: Io): Run {
  return (load) =>
    async (...args) => {
      // commander passes the positional arguments, then the command's options, then the command itself.
      const command = args.at(-1) as Command;
      const positional = args.slice(0, -2);
      const [{ Context }, work] = await Promise.all([import('../context.js'), load()]);
      const context = new Context(io, command.optsWithGlobals<GlobalOptions>());
      try {
        await (work as Work<unknown, unknown[]>)(context, command.opts(), ...positional);
      } finally {
        await context.terminal.flush(); // what it printed before an error, before the error
      }
    };
}

export function choices(flags: string, description: string, values: readonly string[]): Option {
  return new Option(flags, description).choices(values);
}

/** The --workflow option of the commands that take one. */
export const WORKFLOW_HELP = 'only this workflow: its id or name, or the start of either';
