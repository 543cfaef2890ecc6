// What the commands share: how an action gets its context, and options limited to a set of values.
import { type Command, Option } from 'commander';
import { Context, type GlobalOptions } from '../context.js';
import type { Io } from '../terminal.js';

/** Wraps a command's work: its context from the global options, then its own options and arguments. */
export type Run = <O, A extends unknown[]>(work: (context: Context, options: O, ...args: A) => Promise<void>) => (...args: unknown[]) => Promise<void>;

export function runner(io: Io): Run {
  return (work) =>
    async (...args) => {
      // commander passes the positional arguments, then the command's options, then the command itself.
      const command = args.at(-1) as Command;
      const positional = args.slice(0, -2);
      const context = new Context(io, command.optsWithGlobals<GlobalOptions>());
      await (work as (context: Context, options: unknown, ...rest: unknown[]) => Promise<void>)(context, command.opts(), ...positional);
    };
}

export function choices(flags: string, description: string, values: readonly string[]): Option {
  return new Option(flags, description).choices(values);
}
