#!/usr/bin/env node
// The binary behind `execution-history` (package.json "bin").
import { controllingTerminalColumns } from './attached-terminal.js';
import { runCli } from './program.js';

/** Set to an ISO time or epoch milliseconds to fix "now": for output that reads the same every run (tests, docs). */
const NOW_ENV = 'EXECUTION_HISTORY_NOW';
const fixed = process.env[NOW_ENV] || undefined;
const fixedNow = fixed === undefined ? undefined : /^\d+$/.test(fixed) ? Number(fixed) : Date.parse(fixed);
if (fixedNow !== undefined && !Number.isFinite(fixedNow)) {
  process.stderr.write(`error: ${NOW_ENV} must be an ISO time or milliseconds since the epoch, got "${fixed}".\n`);
  process.exit(2);
}

// `execution-history list | head`: the reader has gone, which is not an error worth a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  now: fixedNow === undefined ? Date.now : () => fixedNow,
  terminalColumns: controllingTerminalColumns,
});
