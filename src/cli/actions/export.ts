// `export <id>`: one execution with its steps as JSON, to attach to a bug report. The file is its owner's alone
// (0600), as the database is: history holds what the runs were given, secrets among them.
import { closeSync, fchmodSync, fstatSync, openSync, writeFileSync } from 'node:fs';
import { CliError } from '../cli-error.js';
import { type Context, withStore } from '../context.js';
import { findExecution } from '../execution-id.js';

export async function exportExecution(context: Context, options: { out?: string }, id: string): Promise<void> {
  const execution = await withStore(context.openExisting(), (store) => findExecution(store, id));
  const json = `${JSON.stringify(execution, null, 2)}\n`;
  if (options.out === undefined) {
    context.io.stdout.write(json);
    return;
  }
  try {
    writePrivate(options.out, json);
  } catch (error) {
    throw new CliError(`could not write ${options.out}: ${(error as Error).message}`);
  }
  if (context.json) return context.terminal.json({ file: options.out, id: execution.id, steps: execution.steps.length, bytes: Buffer.byteLength(json) });
  context.terminal.print(`Wrote execution ${execution.id} with ${execution.steps.length} steps to ${options.out} (${Buffer.byteLength(json)} bytes).`);
}

/** Writes the file readable by its owner only, an existing one too, before any of the text is in it. */
function writePrivate(file: string, text: string): void {
  const fd = openSync(file, 'w', 0o600);
  try {
    // Only a regular file: --out /dev/stdout must not change the terminal's mode.
    if (fstatSync(fd).isFile()) fchmodSync(fd, 0o600);
    writeFileSync(fd, text);
  } finally {
    closeSync(fd);
  }
}
