// The command on a PostgreSQL database: every subcommand takes --db postgres://…, as it takes a file, and nothing
// it prints repeats the URL's password.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CLI } from './cli-fixture.js';
import { freshPostgresUrl, postgresSkipReason } from './postgres/test-database.js';

function run(url: string, ...args: string[]) {
  const result = spawnSync(process.execPath, [CLI, '--db', url, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const json = (output: { stdout: string }) => JSON.parse(output.stdout) as Record<string, unknown>;

describe.skipIf(postgresSkipReason !== undefined)('the command on PostgreSQL', () => {
  it('migrates, fills, lists, shows, counts, groups errors, exports, prunes, recovers and checks a database', { timeout: 120_000 }, async () => {
    // A password the server does not ask for (trust), to see that it is never printed.
    const url = (await freshPostgresUrl()).replace('postgres://postgres@', 'postgres://postgres:hunter2@');

    const migrated = run(url, '--json', 'migrate');
    expect(migrated.status).toBe(0);
    expect(json(migrated)).toMatchObject({ database: url.replace('hunter2', '***') });

    const demo = run(url, '--json', 'demo', '--executions', '40');
    expect(demo.status, demo.stderr).toBe(0);
    expect(json(demo)).toMatchObject({ database: url.replace('hunter2', '***'), executions: 43 });
    const failedId = json(demo).failedShowcaseId as string;

    const again = run(url, 'demo', '--executions', '40', '--replace');
    expect(again).toMatchObject({ status: 1, stdout: '' });
    expect(again.stderr).toContain('already holds 43 executions; the demo fills an empty database and never deletes a PostgreSQL history');

    const list = run(url, '--json', 'list', '--limit', '5');
    expect(list.status).toBe(0);
    expect((json(list).items as unknown[]).length).toBe(5);

    const show = run(url, 'show', failedId.slice(0, 13));
    expect(show.status).toBe(0);
    expect(show.stdout).toContain(`Execution ${failedId}`);
    expect(show.stdout).toContain('Status    error');

    const exported = run(url, 'export', failedId);
    expect(exported.status).toBe(0);
    expect(JSON.parse(exported.stdout)).toMatchObject({ id: failedId, status: 'error' });

    for (const command of [['stats', '--since', '40d'], ['errors', '--since', '40d']]) {
      const output = run(url, ...command);
      expect(output.status, `${command[0]}: ${output.stderr}`).toBe(0);
      expect(output.stdout.length).toBeGreaterThan(0);
    }

    const dryRun = run(url, '--json', 'prune', '--keep', '10', '--dry-run');
    expect(dryRun.status).toBe(0);
    const wouldGo = json(dryRun).executions as number;
    expect(wouldGo).toBeGreaterThan(0);
    const pruned = run(url, '--json', 'prune', '--keep', '10');
    expect(pruned.status, pruned.stderr).toBe(0);
    expect(json(pruned)).toMatchObject({ dryRun: false, executions: wouldGo });
    expect(json(pruned).bytesBefore).toBeGreaterThan(0);

    const recovered = run(url, '--json', 'recover');
    expect(recovered.status, recovered.stderr).toBe(0);

    const doctor = run(url, '--json', 'doctor');
    expect(doctor.status, doctor.stderr).toBe(0);
    // The history is partitioned by day: the demo's days and the days ahead, sized over their partitions.
    const report = json(doctor) as { partitions: { days: number; last: string }; checks: { name: string; level: string }[]; tableBytes: number };
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    expect(report.partitions).toEqual({ days: expect.any(Number), first: expect.any(String), last: expect.any(String), legacy: false });
    expect(report.partitions.days).toBeGreaterThanOrEqual(9);
    expect(report.partitions.last >= tomorrow).toBe(true);
    expect(report.checks.find((check) => check.name === 'partitions')).toMatchObject({ level: 'ok' });
    expect(report.tableBytes).toBeGreaterThan(1_000_000);

    for (const output of [migrated, demo, again, list, show, exported, dryRun, pruned, recovered, doctor]) {
      expect(output.stdout + output.stderr).not.toContain('hunter2');
    }
  });
});
