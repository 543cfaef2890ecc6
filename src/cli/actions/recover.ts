// `recover`: marks executions that a crashed process left 'running' as interrupted errors. Only those that
// started more than --older-than ago (default 1h): a runtime that is alive may be running the newer ones.
import ms from 'ms';
import { type Context, withStore } from '../context.js';

export async function recover(context: Context, options: { olderThan: number }): Promise<void> {
  const startedBefore = context.io.now() - options.olderThan;
  const recovered = await withStore(context.openExisting(), (store) => store.recoverInterruptedExecutions({ startedBefore }));
  if (context.json) return context.terminal.json({ ...recovered, startedBefore });
  context.terminal.print(
    recovered.executions === 0
      ? `No execution that started more than ${ms(options.olderThan)} ago is still running.`
      : `Marked ${recovered.executions} interrupted executions (and ${recovered.steps} of their steps) as errors.`,
  );
}
