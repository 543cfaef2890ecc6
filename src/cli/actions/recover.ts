// `recover`: marks executions that a crashed process left 'running' as interrupted errors. By default those of
// instances that are gone (a live instance's runs are never touched); with --older-than, every running execution
// that started longer ago than that, whoever runs it: for runs recorded before instances existed.
import ms from 'ms';
import { type Context, withStore } from '../context.js';

export async function recover(context: Context, options: { olderThan?: number }): Promise<void> {
  const { olderThan } = options;
  const startedBefore = olderThan === undefined ? undefined : context.io.now() - olderThan;
  const recovered = await withStore(context.openExisting(), (store) =>
    store.recoverInterruptedExecutions(startedBefore === undefined ? undefined : { startedBefore }),
  );
  if (context.json) return context.terminal.json({ ...recovered, ...(startedBefore === undefined ? {} : { startedBefore }) });
  if (recovered.executions > 0) {
    return context.terminal.print(`Marked ${recovered.executions} interrupted executions (and ${recovered.steps} of their steps) as errors.`);
  }
  context.terminal.print(
    olderThan === undefined
      ? 'No instance that is gone holds a running execution.'
      : `No execution that started more than ${ms(olderThan)} ago is still running.`,
  );
}
