// `instances`: the store instances that have written executions, most recently heard of first, with their state
// and how many executions each still holds running. A gone instance that still holds some is what `recover` is for.
import { type Context, withStore } from '../context.js';
import ms from 'ms';
import { formatAgo, formatTime } from '../format.js';
import { renderTable } from '../table.js';

export async function instances(context: Context): Promise<void> {
  const listed = await withStore(context.openExisting(), (store) => store.getInstances());
  if (context.json) return context.terminal.json(listed);
  const { terminal } = context;
  if (listed.length === 0) return terminal.print('No instance has written executions yet.');
  const { colors } = terminal;
  terminal.print(
    await renderTable(
      [
        { header: 'INSTANCE', flexible: true },
        { header: 'STATE' },
        { header: 'RUNNING', align: 'right' },
        { header: 'LAST HEARD', align: 'right' },
        { header: 'LEASE', align: 'right' },
        { header: 'HOST', flexible: true },
        { header: 'PID', align: 'right' },
        { header: 'STARTED', optional: true },
      ],
      listed.map((instance) => [
        instance.id,
        instance.state === 'alive' ? colors.green('alive') : instance.runningExecutions > 0 ? colors.red('gone') : colors.dim('gone'),
        String(instance.runningExecutions),
        // By the database's clock: this terminal's may differ.
        formatAgo(instance.heardAt, instance.heardAt + instance.silentMs),
        ms(instance.leaseMs),
        instance.host,
        String(instance.pid),
        formatTime(instance.startedAt),
      ]),
      terminal.width,
      terminal.colors,
    ),
  );
  const orphaned = listed.filter((instance) => instance.state === 'gone' && instance.runningExecutions > 0);
  if (orphaned.length > 0) {
    const runs = orphaned.reduce((sum, instance) => sum + instance.runningExecutions, 0);
    terminal.print(colors.yellow(`${orphaned.length} gone instance(s) still hold ${runs} running executions: mark them with "execution-history recover".`));
  }
}
