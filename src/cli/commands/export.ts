// `export <id>`: one execution with its steps as JSON, to attach to a bug report.
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { CliError } from '../cli-error.js';
import { type Context, withStore } from '../context.js';
import { findExecution } from '../execution-id.js';
import type { Run } from './shared.js';

export function registerExport(program: Command, run: Run): void {
  program
    .command('export')
    .description('one execution with its steps as JSON')
    .argument('<id>', 'the execution id, or its first characters')
    .option('--out <file>', 'write to this file instead of the standard output')
    .action(run(exportExecution));
}

async function exportExecution(context: Context, options: { out?: string }, id: string): Promise<void> {
  const execution = await withStore(context.openExisting(), (store) => findExecution(store, id));
  const json = `${JSON.stringify(execution, null, 2)}\n`;
  if (options.out === undefined) {
    context.io.stdout.write(json);
    return;
  }
  try {
    writeFileSync(options.out, json);
  } catch (error) {
    throw new CliError(`could not write ${options.out}: ${(error as Error).message}`);
  }
  if (context.json) return context.terminal.json({ file: options.out, id: execution.id, steps: execution.steps.length, bytes: Buffer.byteLength(json) });
  context.terminal.print(`Wrote execution ${execution.id} with ${execution.steps.length} steps to ${options.out} (${Buffer.byteLength(json)} bytes).`);
}
