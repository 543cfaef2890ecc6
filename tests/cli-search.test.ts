// `execution-history list --where key=value` and `list --text text`: the built binary on the CLI fixture, as a user
// runs it: the matching runs with where each matched, how much was read, --json, going further back with the cursor,
// and each mistake a user can make with the search's options.
import { describe, expect, it } from 'vitest';
import { shortIds } from '../src/cli/execution-id.js';
import { parseWhere } from '../src/cli/commands/list.js';
import { openExecutionStore } from '../src/index.js';
import { cli, fixture } from './cli-fixture.js';
import { track } from './factories.js';

describe('list --where / --text', () => {
  it('prints the runs whose payloads match, where each matched and how much was read; --json prints what the store returns', async () => {
    const { file, ids } = await fixture();
    const [failed, ok] = shortIds([ids.failed, ids.ok], 13);
    expect(cli(['--db', file, 'list', '--where', 'worker=worker-2'], { COLUMNS: '120' })).toEqual({
      status: 0,
      stderr: '',
      stdout: [
        'ID             STARTED                 AGO  WORKFLOW     STATUS  DURATION  MATCH',
        `${failed}  2026-11-01 13:00:00  3h ago  Sync orders  error      3.0 s  metadata`,
        '',
        'Searched 4 runs and 8 steps: the whole range, newest first.',
        '',
      ].join('\n'),
    });
    // A value in a step's output, as a number or as its digits.
    for (const where of ['status=200', 'status="200"']) {
      expect(cli(['--db', file, 'list', '--where', where], { COLUMNS: '120' }).stdout).toBe(
        [
          'ID             STARTED                 AGO  WORKFLOW     STATUS   DURATION  MATCH',
          `${ok}  2026-11-01 12:00:00  4h ago  Sync orders  success     1.2 s  step 1 fetch: output`,
          '',
          'Searched 4 runs and 8 steps: the whole range, newest first.',
          '',
        ].join('\n'),
      );
    }
    const store = track(await openExecutionStore(file));
    expect(JSON.parse(cli(['--db', file, 'list', '--text', 'redacted', '--json']).stdout)).toEqual(await store.searchExecutions({ text: 'redacted' }));
    expect(JSON.parse(cli(['--db', file, 'list', '--where', 'orderId=42', '--in', 'inputData,outputData', '--json']).stdout)).toEqual({
      items: [],
      scanned: { executions: 4, steps: 8 },
      nextCursor: null,
    });
    expect(JSON.parse(cli(['--db', file, 'list', '--where', 'orderId=42', '--status', 'error', '--since', '2026-11-01T12:30:00Z', '--json']).stdout)).toEqual(
      await store.searchExecutions({ key: 'orderId', equals: 42, status: 'error', startedAfter: Date.parse('2026-11-01T12:30:00Z') }),
    );
    expect(cli(['--db', file, 'list', '--text', 'no such text anywhere']).stdout).toBe('No run matches among the 4 runs and 8 steps searched.\nSearched 4 runs and 8 steps: the whole range, newest first.\n');
  });

  it('goes further back with the --cursor it prints, and only for the same search', async () => {
    const { file, ids } = await fixture();
    const seen: string[] = [];
    let cursor: string[] = [];
    for (let call = 0; call < 5; call++) {
      const { stdout, status } = cli(['--db', file, 'list', '--where', 'orderId=42', '--limit', '3', '--json', ...cursor]);
      expect(status).toBe(0);
      const result = JSON.parse(stdout);
      seen.push(...result.items.map((item: { execution: { id: string } }) => item.execution.id));
      if (result.nextCursor === null) break;
      cursor = ['--cursor', result.nextCursor];
    }
    expect(seen).toEqual([ids.report, ids.running, ids.failed, ids.ok]);

    const first = cli(['--db', file, 'list', '--where', 'orderId=42', '--limit', '1']).stdout;
    expect(first).toMatch(/\nSearched 4 runs and 8 steps, newest first; more may match further back: the same command with\n--cursor \S+\n$/);
    const printed = /^--cursor (\S+)$/m.exec(first)?.[1] as string;
    expect(cli(['--db', file, 'list', '--where', 'orderId=42', '--limit', '1', '--cursor', printed]).stdout).toContain('Sync orders  running');
    expect(cli(['--db', file, 'list', '--where', 'orderId=43', '--cursor', printed])).toEqual({
      status: 2,
      stdout: '',
      stderr:
        "error: option '--cursor <cursor>' continues another search (another --where, --text, --in, --workflow, --status, --since or --until); " +
        'expected the --cursor printed under the previous results of the same search, or no --cursor to start from the newest runs.\n(add --help for usage)\n',
    });
    const pageCursor = /^--cursor (\S+)$/m.exec(cli(['--db', file, 'list', '--limit', '1']).stdout)?.[1] as string;
    expect(cli(['--db', file, 'list', '--text', 'x', '--cursor', pageCursor]).stderr).toBe(
      "error: option '--cursor <cursor>' is not a cursor of a search; expected the --cursor printed under the previous results of the same search, or no --cursor to start from the newest runs.\n(add --help for usage)\n",
    );
  });

  it('reads --where values as JSON when they are JSON, else as written', () => {
    expect(parseWhere('orderId=1002')).toEqual({ key: 'orderId', equals: 1002 });
    expect(parseWhere('name="Bob"')).toEqual({ key: 'name', equals: 'Bob' });
    expect(parseWhere('name=Bob')).toEqual({ key: 'name', equals: 'Bob' });
    expect(parseWhere('ok=true')).toEqual({ key: 'ok', equals: true });
    expect(parseWhere('gone=null')).toEqual({ key: 'gone', equals: null });
    expect(parseWhere('q=a=b')).toEqual({ key: 'q', equals: 'a=b' });
    expect(parseWhere('list=[1,2]')).toEqual({ key: 'list', equals: '[1,2]' });
    expect(parseWhere('empty=')).toEqual({ key: 'empty', equals: '' });
  });

  it('refuses options a search does not take, naming them', async () => {
    const { file } = await fixture();
    const usage = (message: string) => ({ status: 2, stdout: '', stderr: `error: ${message}\n(add --help for usage)\n` });
    const cases: [string[], string][] = [
      [['--where', 'orderId'], `option '--where <key=value>' argument 'orderId' is invalid. expected key=value, such as orderId=1002, got "orderId".`],
      [['--where', 'a=1', '--text', 'b'], "options '--where <key=value>' and '--text <text>' search two ways; expected one of them."],
      [['--in', 'metadata'], "option '--in <fields>' says where --where or --text look; expected one of them with it."],
      [['--text', 'a', '--in', 'output'], `option '--in <fields>' argument 'output' is invalid. expected payload fields among triggerData, metadata, inputData, outputData, separated by commas, got "output".`],
      [['--text', 'a', '--sort', 'duration'], "option '--sort duration' does not go with --where or --text: a search lists the newest runs first."],
      [['--text', 'a', '--trigger', 'manual'], "option '--trigger <type>' does not go with --where or --text; expected --workflow, --status, --since or --until to narrow a search."],
      [['--text', 'a', '--limit', '500'], `option '--limit <n>' with --where or --text: expected a whole number from 1 to 200, got "500".`],
    ];
    for (const [args, message] of cases) expect(cli(['--db', file, 'list', ...args])).toEqual(usage(message));
  });
});
