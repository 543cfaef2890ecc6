// The built `execution-history` binary, spawned on a known history: every command's table and --json output,
// the waterfall's bars, paging, pruning, and each mistake a user can make.
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { shortIds } from '../src/cli/execution-id.js';
import { findWorkflow } from '../src/cli/named-workflow.js';
import * as optionValues from '../src/cli/option-values.js';
import { runCli } from '../src/cli/program.js';
import type { Io, Stream } from '../src/cli/terminal.js';
import { openExecutionStore } from '../src/index.js';
import { EXECUTION_STATUSES, TRIGGER_TYPES } from '../src/sqlite/schema.js';
import { MAX_PAGE_SIZE } from '../src/core/constants.js';
import { CLI, cli, fixture, NOW } from './cli-fixture.js';
import { newExecution, newRunStep, T0, tempDir, track } from './factories.js';

const HOUR = 3_600_000;
const ESCAPE = '\u001b[';

describe('list', () => {
  it('prints the executions newest first as a table, and as JSON what the store returns', async () => {
    const { file, ids } = await fixture();
    // Ids made in one millisecond share more than 13 characters; the ID column is as wide as the longest shown.
    const short = shortIds([ids.report, ids.running, ids.failed, ids.ok], 13);
    const width = Math.max(...short.map((id) => id.length));
    const [report, running, failed, ok] = short.map((id) => id.padEnd(width));
    const result = cli(['--db', file, 'list'], { COLUMNS: '160' });
    expect(result).toEqual({
      status: 0,
      stderr: '',
      stdout: [
        `${'ID'.padEnd(width)}  STARTED                 AGO  WORKFLOW        TRIGGER   STATUS   DURATION  ERROR`,
        `${report}  2026-11-01 15:00:00  1h ago  Nightly report  schedule  success    450 ms`,
        `${running}  2026-11-01 14:00:00  2h ago  Sync orders     manual    running`,
        `${failed}  2026-11-01 13:00:00  3h ago  Sync orders     webhook   error       3.0 s  HTTP 502 from api.example.test`,
        `${ok}  2026-11-01 12:00:00  4h ago  Sync orders     webhook   success     1.2 s`,
        '',
      ].join('\n'),
    });
    // Narrower, the start loses its year and seconds, and the error, which the row cannot hold whole, goes under it.
    // 80 columns, unless the ids made in one millisecond share so much that the ID column alone leaves no room for
    // the trigger (the columns below take 66 besides it): then as much wider as the ID column is.
    const narrow = String(Math.max(80, width + 66));
    expect(cli(['--db', file, 'list'], { COLUMNS: narrow })).toEqual({
      status: 0,
      stderr: '',
      stdout: [
        `${'ID'.padEnd(width)}  STARTED         AGO  WORKFLOW        TRIGGER   STATUS   DURATION`,
        `${report}  11-01 15:00  1h ago  Nightly report  schedule  success    450 ms`,
        `${running}  11-01 14:00  2h ago  Sync orders     manual    running`,
        `${failed}  11-01 13:00  3h ago  Sync orders     webhook   error       3.0 s`,
        '  ↳ HTTP 502 from api.example.test',
        `${ok}  11-01 12:00  4h ago  Sync orders     webhook   success     1.2 s`,
        '',
      ].join('\n'),
    });
    const store = track(await openExecutionStore(file));
    expect(JSON.parse(cli(['--db', file, 'list', '--json']).stdout)).toEqual(await store.queryExecutionsPage({ limit: 20 }));
    expect(JSON.parse(cli(['--db', file, 'list', '--json', '--status', 'error', '--workflow', 'wf-orders']).stdout)).toEqual({
      items: [await store.getExecution(ids.failed)],
      nextCursor: null,
    });
  });

  it('filters by trigger and time, sorts by duration, and pages with the cursor it prints', async () => {
    const { file, ids } = await fixture();
    const idsOf = (args: string[]) => (JSON.parse(cli(['--db', file, 'list', '--json', ...args]).stdout).items as { id: string }[]).map((e) => e.id);
    expect(idsOf(['--trigger', 'schedule'])).toEqual([ids.report]);
    expect(idsOf(['--since', '2026-11-01T13:00:00Z', '--until', '90m'])).toEqual([ids.running, ids.failed]); // until = NOW - 1.5 h
    expect(idsOf(['--since', '3h'])).toEqual([ids.report, ids.running, ids.failed]);
    expect(idsOf(['--sort', 'duration'])).toEqual([ids.failed, ids.ok, ids.report, ids.running]);

    const seen: string[] = [];
    let cursor: string[] = [];
    for (let page = 0; page < 5; page++) {
      const { stdout } = cli(['--db', file, 'list', '--limit', '3', ...cursor]);
      seen.push(...[...stdout.matchAll(/^(01[0-9a-f-]+) /gm)].map((match) => match[1] as string));
      const next = /^--cursor (\S+)$/m.exec(stdout);
      if (next === null) break;
      cursor = ['--cursor', next[1] as string];
    }
    // Each page shows the ids as short as they can be among its rows; they name the executions in order.
    const newestFirst = [ids.report, ids.running, ids.failed, ids.ok];
    expect(seen.map((short, i) => (newestFirst[i] as string).startsWith(short) && short.length >= 13)).toEqual([true, true, true, true]);
  });

  it('gives a long error the lines under its row, whole, wrapped at words', async () => {
    const file = join(tempDir(), 'history.db');
    const store = await openExecutionStore(file, { now: () => NOW });
    const errorMessage = 'Request to https://api.example.test/v2/orders/42/lines?expand=product,price failed: HTTP 502 Bad Gateway after 3 retries\nat line 2';
    const { executionId } = await store.recordExecution(newExecution({ status: 'error', startedAt: T0, completedAt: T0 + 900, errorMessage }), []);
    store.close();
    expect(cli(['--db', file, 'list'], { COLUMNS: '80' }).stdout).toBe(
      [
        'ID             STARTED         AGO  WORKFLOW     TRIGGER  STATUS  DURATION',
        `${executionId.slice(0, 13)}  11-01 12:00  4h ago  Sync orders  webhook  error     900 ms`,
        '  ↳ Request to https://api.example.test/v2/orders/42/lines?expand=product,price',
        '    failed: HTTP 502 Bad Gateway after 3 retries',
        '',
      ].join('\n'),
    );
  });

  it('--workflow takes an id, a name or the start of either, and names the workflows when none matches', async () => {
    const { file, ids } = await fixture();
    const idsOf = (workflow: string) =>
      (JSON.parse(cli(['--db', file, 'list', '--json', '--workflow', workflow]).stdout).items as { id: string }[]).map((e) => e.id);
    expect(idsOf('wf-report')).toEqual([ids.report]);
    expect(idsOf('Nightly report')).toEqual([ids.report]);
    expect(idsOf('nightly')).toEqual([ids.report]); // the start of a name, in any case
    expect(idsOf('wf-o')).toEqual([ids.running, ids.failed, ids.ok]); // the start of an id
    // Most recently run first, as in stats.
    const workflows = '  Nightly report  wf-report\n  Sync orders     wf-orders\n';
    expect(cli(['--db', file, 'list', '--workflow', 'wf-'])).toEqual({
      status: 1,
      stdout: '',
      stderr: `error: "wf-" is the start of 2 workflows; give more of its name, or its id:\n${workflows}`,
    });
    expect(cli(['--db', file, 'errors', '--workflow', 'billing'])).toEqual({
      status: 1,
      stdout: '',
      stderr: `error: no workflow has the id or name "billing", or one starting with it. The workflows:\n${workflows}`,
    });
    expect(cli(['--db', file, 'stats', '--workflow', 'sync']).stdout.split('\n')[0]).toBe('Last 1 day · workflow Sync orders (wf-orders)');
    const store = track(await openExecutionStore(file));
    expect(JSON.parse(cli(['--db', file, 'errors', '--json', '--workflow', 'Sync orders']).stdout)).toEqual(
      await store.getErrorGroups({ workflowId: 'wf-orders', limit: 20 }),
    );
    expect(cli(['--db', file, 'prune', '--keep', '1', '--workflow', 'sync', '--dry-run'], { COLUMNS: '160' }).stdout).toBe(
      'Would delete 2 executions of workflow Sync orders (wf-orders) older than the newest 1. Nothing was deleted (--dry-run).\n',
    );
  });

  it('a --workflow id wins over a name, and a name that two workflows share asks for the id', () => {
    const workflows = [
      { id: 'orders', name: 'Billing' },
      { id: 'wf-1', name: 'orders' },
      { id: 'wf-2', name: 'Reports' },
      { id: 'wf-3', name: 'Reports' },
    ];
    expect(findWorkflow(workflows, 'orders')).toEqual({ id: 'orders', name: 'Billing' });
    expect(findWorkflow(workflows, 'wf-2')).toEqual({ id: 'wf-2', name: 'Reports' });
    expect(() => findWorkflow(workflows, 'Reports')).toThrow('"Reports" is the name of 2 workflows; give more of its name, or its id:\n  Reports  wf-2\n  Reports  wf-3');
    expect(() => findWorkflow([], 'x')).toThrow('no workflow is called "x": the history holds no executions.');
  });
});

describe('show', () => {
  it('prints the header and a waterfall whose bars sit where the steps ran, at 100 columns', async () => {
    const { file, ids } = await fixture();
    const prefix = shortIds([ids.ok, ids.failed, ids.running, ids.report], 13)[0] as string; // as list shows it
    const { status, stdout, stderr } = cli(['--db', file, 'show', prefix]);
    expect({ status, stderr }).toEqual({ status: 0, stderr: '' });
    const lines = stdout.split('\n');
    expect(lines.slice(0, 7)).toEqual([
      `Execution ${ids.ok}`,
      'Workflow  Sync orders (wf-orders)',
      'Trigger   webhook',
      'Status    success',
      'Started   2026-11-01 12:00:00 (4h ago)',
      'Duration  1.2 s',
      '',
    ]);
    const header = lines[7] as string;
    expect(header).toMatch(/^#  STEP {11}NODE {5}TYPE {10}STATUS   DURATION  0 +1\.2 s$/);
    const axisStart = header.indexOf('0 ');
    const cells = header.length - axisStart;
    expect(header.length).toBe(100);
    // Steps: 0–10 ms, 10–1010 ms, 1010–1200 ms of 1200 ms.
    const expected = [
      [0, 10],
      [10, 1010],
      [1010, 1200],
    ].map(([from, to]) => {
      const offset = Math.floor(((from as number) / 1200) * cells);
      return { offset, length: Math.max(1, Math.ceil(((to as number) / 1200) * cells) - offset) };
    });
    const bars = lines.slice(8, 11).map((line) => {
      const bar = line.slice(axisStart);
      return { offset: bar.indexOf('█'), length: bar.split('').filter((c) => c === '█').length };
    });
    expect(bars).toEqual(expected);
    expect(lines.slice(8, 11).map((line) => line.slice(0, axisStart).trimEnd())).toEqual([
      '1  Order webhook  trigger  webhook       success     10 ms',
      '2  Fetch order    fetch    http_request  success     1.0 s',
      '3  Save order     save     db_query      success    190 ms',
    ]);
    expect(lines.slice(11)).toEqual(['', "--data adds the execution's input, metadata and error stack, and each step's input and output.", '']);
    // At 80 columns the node ids give way, so that the axis keeps its room.
    expect(cli(['--db', file, 'show', prefix], { COLUMNS: '80' }).stdout.split('\n')[7]).toMatch(/^#  STEP {11}TYPE {10}STATUS   DURATION  0 +1\.2 s$/);
  });

  it('marks the failed step in red and names its error; --data prints payloads with redacted values marked', async () => {
    const { file, ids } = await fixture();
    const colored = cli(['--db', file, 'show', ids.failed], { FORCE_COLOR: '1' }).stdout;
    expect(colored).toContain(`${ESCAPE}31m${'█'.repeat(10)}`); // a red bar
    expect(colored).toContain(`${ESCAPE}31m✗ 2 Fetch order: HTTP 502 from api.example.test`);
    expect(cli(['--db', file, 'show', ids.failed, '--data']).stdout.split('\n').slice(6, 24)).toEqual([
      'Error     HTTP 502 from api.example.test',
      '',
      'Input (trigger data):',
      '  {',
      '    "body": {',
      '      "orderId": 42',
      '    }',
      '  }',
      'Metadata:',
      '  {',
      '    "worker": "worker-2",',
      '    "attempt": 1',
      '  }',
      'Error stack:',
      '  Error: HTTP 502 from api.example.test',
      '      at fetchOrder (nodes/fetch.js:12:9)',
      '',
      '#  STEP           NODE     TYPE          STATUS   DURATION  0                                  3.0 s',
    ]);
    const plain = cli(['--db', file, 'show', ids.ok, '--data']).stdout;
    expect(plain.split('\n').slice(6, 14)).toEqual(['', 'Input (trigger data):', '  {', '    "body": {', '      "orderId": 42', '    }', '  }', 'Metadata: none']);
    expect(plain).toContain(['── 2 Fetch order (http_request, node fetch)', 'success  2026-11-01 12:00:00  1.0 s', 'Input:', '  {', '    "url": "https://example.test/orders/42"', '  }', 'Output:', '  {', '    "status": 200,', '    "token": "[REDACTED]"', '  }'].join('\n'));
    expect(cli(['--db', file, 'show', ids.ok, '--data'], { FORCE_COLOR: '1' }).stdout).toContain(`${ESCAPE}35m"[REDACTED]"`);
    const truncated = cli(['--db', file, 'show', ids.report, '--data']).stdout;
    expect(truncated).toContain(`Output: truncated (70011 bytes; the first 65536 characters follow)\n  {"rows":"${'x'.repeat(89)}\n  ${'x'.repeat(98)}\n`);
  });

  it('shows one step whole with --step, the latest execution without an id, and JSON', async () => {
    const { file, ids } = await fixture();
    // The step's number as the waterfall shows it, its node's name or its node's id.
    for (const step of ['2', 'Fetch order', 'fetch']) {
      expect(cli(['--db', file, 'show', ids.failed, '--step', step])).toEqual({
        status: 0,
        stderr: '',
        stdout: ['── 2 Fetch order (http_request, node fetch)', 'error  2026-11-01 13:00:00  3.0 s', 'Error: HTTP 502 from api.example.test', 'Input:', '  {', '    "url": "https://example.test/orders/42"', '  }', 'Output: none', ''].join('\n'),
      });
    }
    expect(cli(['--db', file, 'show']).stdout.split('\n')[0]).toBe(`Execution ${ids.report}`);
    expect(cli(['--db', file, 'show', '--status', 'error']).stdout.split('\n')[0]).toBe(`Execution ${ids.failed}`);
    const store = track(await openExecutionStore(file));
    expect(JSON.parse(cli(['--db', file, 'show', ids.failed, '--json']).stdout)).toEqual(await store.getExecutionWithSteps(ids.failed));
    const step = (await store.getExecutionWithSteps(ids.failed))?.steps[1];
    expect(JSON.parse(cli(['--db', file, 'show', ids.failed, '--step', 'fetch', '--json']).stdout)).toEqual(step);
  });

  it('--step names a node that ran more than once by its number; a name or id of several steps lists them', async () => {
    const { file } = await fixture();
    const store = await openExecutionStore(file, { now: () => NOW });
    const page = (stepIndex: number) => newRunStep({ nodeId: 'fetch', nodeName: 'Fetch page', stepIndex, startedAt: T0 + stepIndex * 100, completedAt: T0 + stepIndex * 100 + 100, status: 'success' });
    const { executionId } = await store.recordExecution(newExecution({ status: 'success', startedAt: T0, completedAt: T0 + 300 }), [
      page(0),
      page(1),
      newRunStep({ nodeId: 'save', nodeName: 'Save pages', nodeType: 'db_query', stepIndex: 2, startedAt: T0 + 200, completedAt: T0 + 300, status: 'success' }),
    ]);
    store.close();
    const several = `error: "fetch" names 2 steps of execution ${executionId}; give the number of one:\n  1  Fetch page  node fetch\n  2  Fetch page  node fetch\n`;
    expect(cli(['--db', file, 'show', executionId, '--step', 'fetch'])).toEqual({ status: 1, stdout: '', stderr: several });
    expect(cli(['--db', file, 'show', executionId, '--step', 'Fetch page']).stderr).toBe(several.replace('"fetch"', '"Fetch page"'));
    expect(cli(['--db', file, 'show', executionId, '--step', '2']).stdout.split('\n')[0]).toBe('── 2 Fetch page (http_request, node fetch)');
  });
});

describe('stats and errors', () => {
  it('summarise the last 24 hours: overall, per workflow, nodes, a timeline', async () => {
    const { file } = await fixture();
    const { status, stdout } = cli(['--db', file, 'stats']);
    expect(status).toBe(0);
    // The hourly timeline ends with the hours of the four runs (12:00 to 15:00 UTC) and the current one (16:00).
    expect(stdout).toBe(
      [
        'Last 1 day',
        '4 executions: 2 success, 1 error, 1 running',
        'success rate 66.7% · p50 1.2 s · p95 3.0 s',
        '',
        `runs    ${' '.repeat(20)}████   max 1 per hour`,
        `errors  ${' '.repeat(21)}█     max 1`,
        '',
        'WORKFLOW        RUNS  ERRORS  SUCCESS     AVG     P95  LAST RUN',
        'Sync orders        3       1    50.0%   2.1 s   3.0 s    2h ago',
        'Nightly report     1       0   100.0%  450 ms  450 ms    1h ago',
        '',
        'Slowest nodes (p95)',
        'NODE           TYPE          WORKFLOW   RUNS     ERRORS     P95  LAST ERROR',
        'Fetch order    http_request  wf-orders     2  1 (50.0%)   3.0 s  HTTP 502 from api.example.test',
        'Query sales    db_query      wf-report     1          0  450 ms',
        'Save order     db_query      wf-orders     2          0  190 ms',
        'Order webhook  webhook       wf-orders     2          0   10 ms',
        '',
        'Most failing nodes',
        'NODE         TYPE          WORKFLOW   RUNS     ERRORS    P95  LAST ERROR',
        'Fetch order  http_request  wf-orders     2  1 (50.0%)  3.0 s  HTTP 502 from api.example.test',
        '',
      ].join('\n'),
    );
    const json = JSON.parse(cli(['--db', file, 'stats', '--json', '--since', '2026-11-01T12:00:00Z']).stdout);
    expect(Object.keys(json)).toEqual(['since', 'until', 'overall', 'workflows', 'slowestNodes', 'failingNodes', 'timeline']);
    expect(json.overall).toMatchObject({ total: 4, running: 1, success: 2, error: 1 });
    expect(json.timeline.map((entry: { total: number }) => entry.total)).toEqual([1, 1, 1, 1, 0]);
  });

  it('errors lists the failure groups, newest first', async () => {
    const { file, ids } = await fixture();
    // Each group's latest message as it was (its pattern, "HTTP <n> from …", is in the JSON).
    expect(cli(['--db', file, 'errors']).stdout).toBe(
      [
        'LAST SEEN  COUNT  WORKFLOW     NODE         EXAMPLE        LATEST ERROR',
        `   3h ago      1  Sync orders  Fetch order  ${ids.failed.slice(0, 13)}  HTTP 502 from api.example.test`,
        '',
      ].join('\n'),
    );
    expect(cli(['--db', file, 'errors'], { COLUMNS: '80' }).stdout).toBe(
      [
        'LAST SEEN  COUNT  WORKFLOW     NODE         EXAMPLE',
        `   3h ago      1  Sync orders  Fetch order  ${ids.failed.slice(0, 13)}`,
        '  ↳ HTTP 502 from api.example.test',
        '',
      ].join('\n'),
    );
    const store = track(await openExecutionStore(file));
    expect(JSON.parse(cli(['--db', file, 'errors', '--json']).stdout)).toEqual(await store.getErrorGroups({ limit: 20 }));
  });
});

describe('prune, recover, export, migrate, doctor, demo', () => {
  it('prune --dry-run counts and deletes nothing; prune deletes, reclaims space and prints the sizes', async () => {
    const { file } = await fixture();
    const sizeBefore = statSync(file).size;
    expect(cli(['--db', file, 'prune', '--older-than', '150m', '--dry-run'])).toEqual({
      status: 0,
      stderr: '',
      stdout: 'Would delete 2 executions started more than 3 hours ago. Nothing was deleted (--dry-run).\n',
    });
    expect(JSON.parse(cli(['--db', file, 'prune', '--keep', '1', '--workflow', 'wf-orders', '--dry-run', '--json']).stdout)).toEqual({
      dryRun: true, executions: 2, bytesBefore: sizeBefore, bytesAfter: sizeBefore,
    });
    const count = () => new Database(file, { readonly: true }).prepare('SELECT count(*) FROM workflow_executions').pluck().get();
    expect(count()).toBe(4);
    const pruned = cli(['--db', file, 'prune', '--keep', '1', '--workflow', 'wf-orders', '--json']);
    const { bytesBefore, bytesAfter, ...rest } = JSON.parse(pruned.stdout);
    expect(rest).toEqual({ dryRun: false, executions: 2 });
    expect(bytesBefore).toBeGreaterThanOrEqual(sizeBefore);
    expect(bytesAfter).toBe(statSync(file).size); // the WAL is empty after reclaiming
    expect(count()).toBe(2);
    expect(cli(['--db', file, 'prune', '--older-than', '50m']).stdout).toMatch(/^Deleted 1 executions started more than 50 minutes ago\.\nFile size: \d+ KB → \d+ KB\n$/);
  });

  it('recover marks the runs of gone instances, or those older than --older-than; export writes one execution; migrate and doctor report', async () => {
    const { file, ids } = await fixture();
    // The fixture's store, closed a moment ago, is within its lease: its run is not a gone instance's.
    expect(cli(['--db', file, 'recover']).stdout).toBe('No instance that is gone holds a running execution.\n');
    expect(cli(['--db', file, 'recover', '--older-than', '3h']).stdout).toBe('No execution that started more than 3h ago is still running.\n');
    expect(cli(['--db', file, 'recover', '--older-than', '1h']).stdout).toBe('Marked 1 interrupted executions (and 1 of their steps) as errors.\n');
    const out = join(tempDir(), 'bug-report.json');
    const prefix = shortIds([ids.ok, ids.failed, ids.running, ids.report], 13)[1] as string;
    const exported = cli(['--db', file, 'export', prefix, '--out', out], { COLUMNS: '300' });
    expect(exported.stdout).toMatch(new RegExp(`^Wrote execution ${ids.failed} with 3 steps to ${out} \\(\\d+ bytes\\)\\.\\n$`));
    const store = track(await openExecutionStore(file));
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(await store.getExecutionWithSteps(ids.failed));
    // History holds secrets: the file is its owner's alone, as the database is, also when it was there before.
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const existing = join(tempDir(), 'old-report.json');
    writeFileSync(existing, 'old');
    chmodSync(existing, 0o644);
    expect(cli(['--db', file, 'export', prefix, '--out', existing]).status).toBe(0);
    expect(statSync(existing).mode & 0o777).toBe(0o600);
    expect(cli(['--db', file, 'migrate']).stdout).toBe('No migrations to apply: the schema is current.\n');
    expect(JSON.parse(cli(['--db', file, 'doctor', '--quick', '--json']).stdout).integrity).toEqual(['ok']);
    const doctor = JSON.parse(cli(['--db', file, 'doctor', '--json']).stdout);
    expect(doctor).toMatchObject({
      ok: true, file, journalMode: 'wal', autoVacuum: 'incremental', integrity: ['ok'],
      migrations: { applied: ['0000_initial', '0001_insights', '0002_weekly_node_rollups', '0003_insight_settings', '0004_instances'], pending: [] },
      rows: { executions: 4, steps: 8, running: 0, staleRunning: 0 },
      insights: { outliveDeletes: true, hourlyDays: 35, dailyDays: 365, pinned: [] },
    });
    expect(doctor.checks.map((check: { name: string; level: string }) => `${check.name} ${check.level}`)).toEqual([
      'file ok', 'wal ok', 'pages ok', 'integrity ok', 'journal ok', 'auto_vacuum ok', 'migrations ok', 'rows ok', 'insights ok', 'instances ok',
    ]);
  });

  it('instances lists who writes and what each holds running; doctor and recover deal with a gone one', async () => {
    const file = join(tempDir(), 'history.db');
    const gone = await openExecutionStore(file, { instance: { id: 'worker-gone', leaseMs: 1_000 } });
    const lost = await gone.createExecution(newExecution({ startedAt: T0 }));
    await gone.createExecution(newExecution({ startedAt: T0 + 1, status: 'success', completedAt: T0 + 2 }));
    await gone.close(); // its heartbeat stops, as when its process dies
    const alive = track(await openExecutionStore(file, { instance: { id: 'worker-alive', leaseMs: 60_000 } }));
    await alive.createExecution(newExecution({ startedAt: T0 + 5 }));
    const deadline = Date.now() + 10_000;
    while ((await alive.getInstances()).find((instance) => instance.id === 'worker-gone')?.state !== 'gone') {
      if (Date.now() > deadline) throw new Error('worker-gone did not count as gone within 10 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    const listed = cli(['--db', file, 'instances'], { COLUMNS: '120' });
    expect(listed.status).toBe(0);
    const lines = listed.stdout.split('\n');
    expect(lines[0]).toMatch(/^INSTANCE\s+STATE\s+RUNNING\s+LAST HEARD\s+LEASE\s+HOST\s+PID\s+STARTED$/);
    expect(lines[1]).toMatch(new RegExp(`^worker-alive\\s+alive\\s+1\\s+\\d+(ms|s) ago\\s+1m\\s+${hostname()}\\s+${process.pid}\\s`));
    expect(lines[2]).toMatch(new RegExp(`^worker-gone\\s+gone\\s+1\\s+\\d+(ms|s) ago\\s+1s\\s+${hostname()}\\s+${process.pid}\\s`));
    expect(lines.slice(3)).toEqual(['1 gone instance(s) still hold 1 running executions: mark them with "execution-history recover".', '']);
    expect(JSON.parse(cli(['--db', file, '--json', 'instances']).stdout)).toEqual(await alive.getInstances().then((all) => all.map((one) => ({ ...one, current: false, heardAt: expect.any(Number), silentMs: expect.any(Number) }))));

    const doctor = cli(['--db', file, 'doctor'], { COLUMNS: '300' });
    expect(doctor.status).toBe(0); // a warning, not a problem
    expect(doctor.stdout).toMatch(new RegExp(`! instances +1 alive, 1 gone; 1 gone with 1 executions still running: worker-gone \\(${hostname()}, pid ${process.pid}, silent \\d+(ms|s), 1 running\\)`));
    expect(doctor.stdout).toContain('→ mark them as interrupted: "execution-history recover" (a runtime calls recoverInterruptedExecutions() on a timer)');

    expect(cli(['--db', file, 'recover']).stdout).toBe('Marked 1 interrupted executions (and 0 of their steps) as errors.\n');
    expect(await alive.getExecution(lost)).toMatchObject({ status: 'error', instanceId: 'worker-gone' });
    expect(cli(['--db', file, 'doctor']).stdout).toMatch(/✓ instances +1 alive, 1 gone\n/);
  });

  it('migrate creates a new database; doctor finds a damaged file and pending migrations, exit 1 with advice', async () => {
    const dir = tempDir();
    const fresh = join(dir, 'new', 'history.db');
    expect(cli(['--db', fresh, 'migrate', '--json']).stdout).toBe(
      `${JSON.stringify({ file: fresh, created: true, applied: ['0000_initial', '0001_insights', '0002_weekly_node_rollups', '0003_insight_settings', '0004_instances'], pending: [] }, null, 2)}\n`,
    );
    const old = new Database(fresh);
    old.exec('DELETE FROM "__drizzle_migrations" WHERE created_at = (SELECT max(created_at) FROM "__drizzle_migrations")');
    old.close();
    const pending = cli(['--db', fresh, 'doctor']);
    expect(pending.status).toBe(1);
    expect(pending.stdout).toContain('✗ migrations   1 pending: 0004_instances');
    expect(pending.stdout).toContain('✓ insights     outliveDeletes true (default), hourlyDays 35 (default), dailyDays 365 (default)');
    expect(pending.stdout).toContain('→ apply them: "execution-history migrate"');
    expect(pending.stderr).toBe('error: 1 problem(s) found; see above.\n');
    const damaged = join(dir, 'damaged.db');
    (await import('node:fs')).writeFileSync(damaged, 'this is not a database, just text that is long enough to look like a header....');
    const broken = cli(['--db', damaged, 'doctor']);
    expect(broken.status).toBe(1);
    expect(broken.stdout).toContain('✗ database');
    expect(broken.stdout).toContain('file is not a database');
  });

  it('demo fills a new database, and refuses one that holds history unless told to replace it', async () => {
    const file = join(tempDir(), 'demo.db');
    const made = cli(['--db', file, 'demo', '--executions', '50', '--json']);
    expect(made.status).toBe(0);
    expect(JSON.parse(made.stdout)).toMatchObject({ file, executions: 53 });
    const store = await openExecutionStore(file);
    expect((await store.getExecutionStats()).total).toBe(53);
    store.close();
    const again = cli(['--db', file, 'demo']);
    expect(again).toMatchObject({ status: 1, stdout: '' });
    expect(again.stderr).toBe(`error: ${file} already holds 53 executions; the demo fills a new database. Choose another file with --db, or add --replace to delete this one first.\n`);
    expect(cli(['--db', file, 'demo', '--executions', '10', '--replace']).status).toBe(0);
    const replaced = track(await openExecutionStore(file));
    expect((await replaced.getExecutionStats()).total).toBe(13);
  });
});

it('--help lists every command', () => {
  const help = cli(['--help']);
  expect(help.status).toBe(0);
  for (const command of ['list', 'show', 'stats', 'errors', 'prune', 'recover', 'instances', 'export', 'doctor', 'migrate', 'demo']) {
    expect(help.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
  }
});

describe('mistakes', () => {
  it('say what was wrong and what to do, with exit 1 for problems and 2 for bad arguments, never a stack trace', async () => {
    const { file, ids } = await fixture();
    const missing = join(tempDir(), 'nowhere.db');
    const cases = [
      { args: ['--db', file, 'show', 'ffff'], status: 1, stderr: 'error: no execution has an id starting with "ffff". "execution-history list" shows the recent ones.\n' },
      {
        args: ['--db', file, 'show', '01'],
        status: 1,
        stderr: `error: "01" is the start of several execution ids; give more of it:\n${[ids.ok, ids.failed, ids.running, ids.report].sort().map((id) => `  ${id}`).join('\n')}\n`,
      },
      {
        args: ['--db', missing, 'list'],
        status: 1,
        stderr: `error: no history database at ${missing}.\nPoint --db or EXECUTION_HISTORY_DB at yours, or create one: "execution-history demo" fills one with sample history, "execution-history migrate" makes an empty one.\n`,
      },
      {
        args: ['--db', file, 'show', ids.ok, '--step', 'nope'],
        status: 1,
        stderr: `error: execution ${ids.ok} has no step "nope"; give a step's number, its node's name or its node's id:\n  1  Order webhook  node trigger\n  2  Fetch order    node fetch\n  3  Save order     node save\n`,
      },
      { args: ['--db', file, 'list', '--status', 'broken'], status: 2, stderr: "error: option '--status <status>' argument 'broken' is invalid. Allowed choices are running, success, error.\n(add --help for usage)\n" },
      { args: ['--db', file, 'list', '--since', 'yesterday'], status: 2, stderr: `error: option '--since <time>' argument 'yesterday' is invalid. expected an ISO date (2026-11-26, 2026-11-26T09:00:00Z) or a duration back from now (24h, 7d), got "yesterday".\n(add --help for usage)\n` },
      { args: ['--db', file, 'list', '--limit', '0'], status: 2, stderr: `error: option '--limit <n>' argument '0' is invalid. expected a whole number from 1 to 1000, got "0".\n(add --help for usage)\n` },
      { args: ['--db', file, 'prune'], status: 2, stderr: 'error: prune needs exactly one of --older-than <duration> or --keep <n>.\n(add --help for usage)\n' },
      { args: ['--db', file, 'frobnicate'], status: 2, stderr: "error: unknown command 'frobnicate'\n(add --help for usage)\n" },
    ];
    for (const { args, status, stderr } of cases) {
      expect({ args, ...cli(args) }).toEqual({ args, status, stdout: '', stderr });
    }
  });

  it('a cursor of another sort, or not a cursor at all, is a bad argument: exit 2 naming --cursor', async () => {
    const { file } = await fixture();
    const cursor = /^--cursor (\S+)$/m.exec(cli(['--db', file, 'list', '--limit', '1']).stdout)?.[1] as string;
    const expected = 'expected the --cursor printed under the previous page of the same list, or no --cursor for its first page.';
    expect(cli(['--db', file, 'list', '--limit', '1', '--sort', 'duration', '--cursor', cursor])).toEqual({
      status: 2,
      stdout: '',
      stderr: `error: option '--cursor <cursor>' continues a list sorted with --sort started, and this one is sorted with --sort duration; ${expected}\n(add --help for usage)\n`,
    });
    expect(cli(['--db', file, 'list', '--cursor', 'not-a-cursor'])).toEqual({
      status: 2,
      stdout: '',
      stderr: `error: option '--cursor <cursor>' is not a cursor this command printed; ${expected}\n(add --help for usage)\n`,
    });
  });

  it('a reader that stops early (| head -1) ends the command quietly, with exit 0', async () => {
    const file = join(tempDir(), 'demo.db');
    expect(cli(['--db', file, 'demo', '--executions', '1200']).status).toBe(0);
    // 1,000 rows are more than a pipe holds, so the command is still writing when head goes away.
    const piped = spawnSync('bash', ['-c', `"${process.execPath}" "${CLI}" --db "${file}" list --limit 1000 | head -1; echo "exit \${PIPESTATUS[0]}" >&2`], {
      encoding: 'utf8',
      env: { ...process.env, COLUMNS: '100' },
    });
    expect(piped.stdout).toMatch(/^ID +STARTED +.*DURATION( +ERROR)?\n$/); // the header line, no more
    expect(piped.stderr).toBe('exit 0\n');
  });

  it('--no-color and NO_COLOR leave no escape codes, even when colour is forced', async () => {
    const { file, ids } = await fixture();
    for (const args of [['list'], ['show', ids.failed, '--data'], ['stats'], ['errors'], ['doctor']]) {
      expect(cli(['--db', file, ...args], { FORCE_COLOR: '1' }).stdout).toContain(ESCAPE);
      expect(cli(['--db', file, '--no-color', ...args], { FORCE_COLOR: '1' }).stdout).not.toContain(ESCAPE);
      expect(cli(['--db', file, ...args], { FORCE_COLOR: '1', NO_COLOR: '1' }).stdout).not.toContain(ESCAPE);
    }
  });

  it('fit the terminal from 80 columns up: no line wider, but for a paging cursor, which stays whole to be copied', async () => {
    const file = join(tempDir(), 'demo.db');
    expect(cli(['--db', file, 'demo', '--executions', '60']).status).toBe(0); // long names, every trigger type
    const failed = JSON.parse(cli(['--db', file, 'list', '--json', '--status', 'error', '--limit', '1']).stdout).items[0].id;
    for (const columns of ['80', '120', '160']) {
      for (const args of [['list'], ['show', failed, '--data'], ['stats', '--since', '30d'], ['errors'], ['doctor']]) {
        const lines = cli(['--db', file, ...args], { COLUMNS: columns, EXECUTION_HISTORY_NOW: undefined }).stdout.split('\n');
        const tooWide = lines.filter((line) => line.length > Number(columns) && !/^--cursor \S+$/.test(line));
        expect({ args, columns, tooWide }).toEqual({ args, columns, tooWide: [] });
      }
    }
  });
});

it('shortIds extends a prefix only as far as it takes to tell the ids apart', () => {
  expect(shortIds(['0190aaaa-bbbb-7ccc', '0190aaaa-bbbb-7ccd', '0190aaab-0000-7000'], 13)).toEqual(['0190aaaa-bbbb-7ccc', '0190aaaa-bbbb-7ccd', '0190aaab-0000']);
  expect(shortIds(['abc'], 13)).toEqual(['abc']);
  void T0;
  void HOUR;
  void NOW;
});

describe('the width of output that goes to a pipe (show | less)', () => {
  it("is the terminal's the process runs in: stderr's, else /dev/tty's; COLUMNS when set; else 100", async () => {
    const { file, ids } = await fixture();
    const quiet: Stream = { write: () => true };
    /** The waterfall's header runs to the right edge: its length is the width the command used. */
    const widthUsed = async (io: Partial<Io>, stdoutColumns?: number) => {
      let out = '';
      const stdout: Stream = { write: (text: string) => (out += text), ...(stdoutColumns === undefined ? {} : { isTTY: true, columns: stdoutColumns }) };
      const code = await runCli(['--db', file, '--no-color', 'show', ids.ok], { stdout, stderr: quiet, env: {}, now: () => NOW, ...io });
      expect(code).toBe(0);
      return out.split('\n').find((line) => line.startsWith('#  STEP'))?.length;
    };
    expect(await widthUsed({ stderr: { ...quiet, isTTY: true, columns: 90 }, terminalColumns: () => 120 })).toBe(90);
    expect(await widthUsed({ terminalColumns: () => 120 })).toBe(120);
    expect(await widthUsed({ env: { COLUMNS: '110' }, stderr: { ...quiet, isTTY: true, columns: 90 } })).toBe(110);
    expect(await widthUsed({ terminalColumns: () => undefined })).toBe(100);
    // Output to a terminal is as wide as that terminal, whatever COLUMNS says.
    expect(await widthUsed({ env: { COLUMNS: '110' } }, 85)).toBe(85);
  });
});

it("the CLI's copies of the library's option values are the library's", () => {
  expect({ ...optionValues }).toEqual({ EXECUTION_STATUSES, TRIGGER_TYPES, MAX_PAGE_SIZE });
});

describe('start-up', () => {
  /** The files `node dist/cli/main.js …args` loads as ES modules, as a loader hook sees them. */
  function loadedBy(args: string[]): string[] {
    const hooks = `export async function load(url, context, next) { if (url.startsWith('file:')) process.stderr.write('loaded ' + url + '\\n'); return next(url, context); }`;
    const register = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});`;
    const result = spawnSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(register)}`, CLI, ...args], {
      encoding: 'utf8',
      env: { ...process.env, TZ: 'UTC', COLUMNS: '100', EXECUTION_HISTORY_NOW: String(NOW) },
    });
    expect(result.status).toBe(0);
    return [...result.stderr.matchAll(/^loaded (\S+)$/gm)].map((match) => fileURLToPath(match[1] as string));
  }
  /** Loaded files that are (or, bundled, hold) the store's dependencies: by path, or by text that survives bundling. */
  const heavy = (files: string[]) =>
    files.filter((file) => /node_modules\/(drizzle-orm|zod|better-sqlite3)\//.test(file) || /drizzle:entityKind|ZodError|better-sqlite3/.test(readFileSync(file, 'utf8')));

  it('--help loads neither the store nor drizzle, zod or better-sqlite3; a command loads them when it runs', async () => {
    expect(heavy(loadedBy(['--help']))).toEqual([]);
    const { file } = await fixture();
    expect(heavy(loadedBy(['--db', file, 'list'])).length).toBeGreaterThan(0); // the check sees them when they are there
  });
});
