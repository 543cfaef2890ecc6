// The `execution-history` command: its global options, its subcommands, and how it ends: exit 0, 1 for a
// problem it was asked about (with what to do), 2 for bad arguments (with the usage).
// Only commander and small modules load at start-up: each command's work, and the store with drizzle and zod,
// load when that command runs (commands/shared.ts), so that `--help` and a bad argument answer at once.
import { Command, CommanderError } from 'commander';
import { DATABASE_PATH_ENV, DEFAULT_DATABASE_PATH } from '../core/database-path.js';
import { ExecutionStoreError } from '../core/errors.js';
import { CliError, EXIT } from './cli-error.js';
import { registerDemo } from './commands/demo.js';
import { registerDoctor } from './commands/doctor.js';
import { registerErrors } from './commands/errors.js';
import { registerExport } from './commands/export.js';
import { registerInstances } from './commands/instances.js';
import { registerList } from './commands/list.js';
import { registerMigrate } from './commands/migrate.js';
import { registerPrune } from './commands/prune.js';
import { registerRecover } from './commands/recover.js';
import { registerServe } from './commands/serve.js';
import { runner } from './commands/shared.js';
import { registerShow } from './commands/show.js';
import { registerStats } from './commands/stats.js';
import type { Io } from './terminal.js';

export function buildProgram(io: Io): Command {
  const program = new Command('execution-history')
    .description('Browse, debug and maintain workflow execution history.')
    .option('--db <file|url>', `the history database: a SQLite file or a postgres:// URL (default: $${DATABASE_PATH_ENV}, else ${DEFAULT_DATABASE_PATH})`)
    .option('--json', 'print JSON instead of tables')
    .option('--no-color', 'no colours (also NO_COLOR=1)')
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) })
    .showHelpAfterError('(add --help for usage)')
    .exitOverride();
  const run = runner(io);
  registerList(program, io, run);
  registerShow(program, run);
  registerStats(program, io, run);
  registerErrors(program, io, run);
  registerPrune(program, run);
  registerRecover(program, run);
  registerInstances(program, run);
  registerExport(program, run);
  registerDoctor(program, run);
  registerMigrate(program, run);
  registerDemo(program, run);
  registerServe(program, run);
  return program;
}

/** Runs the command line; returns the exit code. */
export async function runCli(argv: string[], io: Io): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version end in a CommanderError too, with exit code 0; commander has printed what it had to.
      return error.exitCode === 0 ? 0 : EXIT.usage;
    }
    if (error instanceof CliError) {
      io.stderr.write(`error: ${error.message}\n`);
      if (error.exitCode === EXIT.usage) io.stderr.write('(add --help for usage)\n');
      return error.exitCode;
    }
    if (error instanceof ExecutionStoreError) {
      // The store's messages say what was wrong and what was expected; the stack would add nothing for a user.
      io.stderr.write(`error: ${error.message}\n`);
      return EXIT.problem;
    }
    throw error; // a bug: let Node print it whole
  }
}
