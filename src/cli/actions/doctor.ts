// `doctor`: is this history healthy? Read without changing anything. For a SQLite file: file and WAL size, pages, an
// integrity check and pragmas; for a PostgreSQL database (--db postgres://…): the server's version, sizes and the dead
// rows waiting for a vacuum. For both: migrations, row counts and insight settings. Exit 1 when something is wrong,
// each problem with what to do.
import { isPostgresUrl, postgresUrlWithoutPassword } from '../../core/postgres-url.js';
import ms from 'ms';
import type { HistoryInspection, HistoryInstance, PostgresInspection, SqliteInspection } from '../../core/types.js';
import { inspectExecutionHistory } from '../../inspect.js';
import { DEFAULT_WAL_LIMIT_BYTES } from '../../sqlite/wal.js';
import { CliError, EXIT } from '../cli-error.js';
import type { Context } from '../context.js';
import { fileBytes, formatBytes } from '../file-size.js';

type Level = 'ok' | 'warning' | 'problem';

interface Check {
  name: string;
  level: Level;
  detail: string;
  /** What to do about a warning or a problem. */
  advice?: string;
}

/** Running executions that started this long ago are most likely left over from a crash. */
const STALE_RUNNING_MS = 3_600_000;
/**
 * Dead rows beyond this share of the live ones are more than autovacuum lets pile up with its default settings (it
 * starts at 20%): it is off, behind, or held back by a transaction left open.
 */
const DEAD_ROWS_SHARE = 0.2;
/** Below this many dead rows there is nothing worth saying, whatever the share. */
const DEAD_ROWS_FLOOR = 10_000;

export async function doctor(context: Context, options: { quick?: boolean }): Promise<void> {
  const postgres = isPostgresUrl(context.dbPath);
  if (!postgres) context.requireFile();
  let inspection: HistoryInspection | undefined;
  let failure: Check | undefined;
  try {
    inspection = await inspectExecutionHistory(context.dbPath, {
      integrity: options.quick === true ? 'quick' : 'full',
      runningSince: context.io.now() - STALE_RUNNING_MS,
    });
  } catch (error) {
    failure = {
      name: 'database',
      level: 'problem',
      detail: `cannot be read: ${(error as Error).message}`,
      advice: postgres
        ? 'check that the server is up and that --db names a database the store has opened or migrated ("execution-history migrate")'
        : 'check that --db names a SQLite file written by this package; restore it from a backup if it was damaged',
    };
  }
  const { checks, facts } = postgres ? examinePostgres(context, inspection, failure) : examineSqlite(context, inspection, failure);
  const ok = checks.every((check) => check.level !== 'problem');
  if (context.json) {
    context.terminal.json({ ok, ...facts, checks });
  } else {
    const { colors } = context.terminal;
    const mark = { ok: colors.green('✓'), warning: colors.yellow('!'), problem: colors.red('✗') };
    const width = Math.max(...checks.map((check) => check.name.length));
    for (const check of checks) {
      context.terminal.print(`${mark[check.level]} ${check.name.padEnd(width)}  ${check.detail}`);
      if (check.advice) context.terminal.print(`  ${' '.repeat(width)}  ${colors.dim(`→ ${check.advice}`)}`);
    }
  }
  if (!ok) throw new CliError(`${checks.filter((check) => check.level === 'problem').length} problem(s) found; see above.`, EXIT.problem);
}

type Examined = { checks: Check[]; facts: Record<string, unknown> };

/** A SQLite file: its size and WAL (read from the disk, also when the file cannot be read), then what it holds. */
function examineSqlite(context: Context, inspection: HistoryInspection | undefined, failure: Check | undefined): Examined {
  const bytes = fileBytes(context.dbPath);
  const examined = inspection?.backend === 'sqlite' ? examineSqliteFile(inspection) : { checks: failure === undefined ? [] : [failure], facts: {} };
  const wal: Check = {
    name: 'wal',
    level: bytes.wal > 4 * DEFAULT_WAL_LIMIT_BYTES ? 'warning' : 'ok',
    detail: formatBytes(bytes.wal),
    ...(bytes.wal > 4 * DEFAULT_WAL_LIMIT_BYTES
      ? { advice: 'a long-running reader keeps SQLite from starting the WAL over; close idle connections (a drizzle-kit studio left open, say)' }
      : {}),
  };
  return {
    checks: [{ name: 'file', level: 'ok', detail: `${context.dbPath}, ${formatBytes(bytes.database)}` }, wal, ...examined.checks],
    facts: { file: context.dbPath, databaseBytes: bytes.database, walBytes: bytes.wal, ...examined.facts },
  };
}

/** A PostgreSQL database, named without its password: all of it comes from the inspection, since there is no file. */
function examinePostgres(context: Context, inspection: HistoryInspection | undefined, failure: Check | undefined): Examined {
  const database = postgresUrlWithoutPassword(context.dbPath);
  if (inspection?.backend !== 'postgres') return { checks: failure === undefined ? [] : [failure], facts: { backend: 'postgres', database } };
  const { serverVersion, databaseBytes, tableBytes, deadRows } = inspection;
  const live = inspection.rows.executions + inspection.rows.steps;
  const manyDead = deadRows > DEAD_ROWS_FLOOR && deadRows > DEAD_ROWS_SHARE * live;
  const shared = examineHistory(inspection);
  const checks: Check[] = [
    { name: 'database', level: 'ok', detail: `${database}, ${formatBytes(databaseBytes)}` },
    { name: 'server', level: 'ok', detail: `PostgreSQL ${serverVersion}` },
    { name: 'tables', level: 'ok', detail: `${formatBytes(tableBytes)} with their indexes` },
    manyDead
      ? {
          name: 'dead_rows',
          level: 'warning',
          detail: `${deadRows} (deleted or superseded rows whose space is not reusable yet), against ${live} live executions and steps`,
          advice:
            'autovacuum is behind, off, or held back by a transaction left open (see pg_stat_activity); "execution-history prune" ends with a VACUUM of the tables',
        }
      : { name: 'dead_rows', level: 'ok', detail: String(deadRows) },
    ...(inspection.partitions === null ? [] : [partitionsCheck(inspection.partitions, context.io.now())]),
    ...shared.checks,
  ];
  const { partitions } = inspection;
  return { checks, facts: { backend: 'postgres', database, serverVersion, databaseBytes, tableBytes, deadRows, partitions, ...shared.facts } };
}

/** What a SQLite file's pages, integrity and pragmas say, then what it holds. */
function examineSqliteFile(inspection: SqliteInspection): Examined {
  const { pageSize, pageCount, freePages, journalMode, autoVacuum } = inspection;
  const integrity = inspection.integrity ?? ['ok'];
  const shared = examineHistory(inspection);
  const checks: Check[] = [
    { name: 'pages', level: 'ok', detail: `${pageCount} of ${pageSize} bytes, ${freePages} free (${formatBytes(freePages * pageSize)})` },
    integrity[0] === 'ok'
      ? { name: 'integrity', level: 'ok', detail: 'ok' }
      : {
          name: 'integrity',
          level: 'problem',
          detail: integrity.slice(0, 3).join('; '),
          advice: 'the file is damaged: restore it from a backup, or salvage what is left with the sqlite3 shell (".recover")',
        },
    journalMode === 'wal'
      ? { name: 'journal', level: 'ok', detail: 'wal' }
      : { name: 'journal', level: 'warning', detail: journalMode, advice: 'the store switches the file to WAL when it opens it: run "execution-history migrate"' },
    autoVacuum === 'incremental'
      ? { name: 'auto_vacuum', level: 'ok', detail: autoVacuum }
      : { name: 'auto_vacuum', level: 'warning', detail: autoVacuum, advice: 'space freed by prune is given back by a full VACUUM (slow on a large file); files the store creates use incremental' },
    ...shared.checks,
  ];
  return { checks, facts: { pageSize, pageCount, freePages, journalMode, autoVacuum, integrity, ...shared.facts } };
}

/**
 * The day partitions: a warning when tomorrow has none (stores make days ahead when they open and as they write, so
 * none being there means no store has opened for days, or the role cannot create tables: writes then make their
 * day themselves, more slowly).
 */
function partitionsCheck(partitions: NonNullable<PostgresInspection['partitions']>, now: number): Check {
  const range = partitions.days === 0 ? 'no day partitions' : `${partitions.days} days, ${partitions.first} to ${partitions.last}`;
  const detail = `${range}${partitions.legacy ? ', and the legacy partition of the history from before partitions' : ''}`;
  const tomorrow = new Date(now + 86_400_000).toISOString().slice(0, 10);
  if (partitions.last !== null && partitions.last >= tomorrow) return { name: 'partitions', level: 'ok', detail };
  return {
    name: 'partitions',
    level: 'warning',
    detail: `${detail}; none for tomorrow (${tomorrow}) yet`,
    advice: 'opening a store makes the days ahead; the role it connects as must own the tables (the one that ran the migrations does)',
  };
}

/** The instances: a warning for each that is gone but still owns running executions (nobody will finish them). */
function instancesCheck(instances: HistoryInstance[]): Check {
  const alive = instances.filter((instance) => instance.state === 'alive').length;
  const orphaning = instances.filter((instance) => instance.state === 'gone' && instance.runningExecutions > 0);
  const counted = `${alive} alive, ${instances.length - alive} gone`;
  if (orphaning.length === 0) return { name: 'instances', level: 'ok', detail: counted };
  const runs = orphaning.reduce((sum, instance) => sum + instance.runningExecutions, 0);
  const named = orphaning.map((instance) => `${instance.id} (${instance.host}, pid ${instance.pid}, silent ${ms(instance.silentMs)}, ${instance.runningExecutions} running)`);
  return {
    name: 'instances',
    level: 'warning',
    detail: `${counted}; ${orphaning.length} gone with ${runs} executions still running: ${named.join('; ')}`,
    advice: 'mark them as interrupted: "execution-history recover" (a runtime calls recoverInterruptedExecutions() on a timer)',
  };
}

/** What every backend's inspection says the same way: migrations, rows, insight settings, executions left running. */
function examineHistory(inspection: HistoryInspection): Examined {
  const { migrations, insights } = inspection;
  const { runningSince: staleRunning, ...counts } = inspection.rows;
  const rows = { ...counts, staleRunning: staleRunning ?? 0 };
  const holder = inspection.backend === 'sqlite' ? 'file' : 'database';
  const checks: Check[] = [
    migrations.pending.length === 0
      ? { name: 'migrations', level: 'ok', detail: `${migrations.applied.length} applied, latest ${migrations.applied.at(-1)}` }
      : { name: 'migrations', level: 'problem', detail: `${migrations.pending.length} pending: ${migrations.pending.join(', ')}`, advice: 'apply them: "execution-history migrate"' },
    { name: 'rows', level: 'ok', detail: `${rows.executions} executions (${rows.running} running), ${rows.steps} steps` },
  ];
  if (insights !== null) {
    const shown = (name: (typeof insights.pinned)[number]) => `${name} ${insights[name]} (${insights.pinned.includes(name) ? holder : 'default'})`;
    checks.push({ name: 'insights', level: 'ok', detail: (['outliveDeletes', 'hourlyDays', 'dailyDays'] as const).map(shown).join(', ') });
  }
  if (inspection.instances !== null) checks.push(instancesCheck(inspection.instances));
  if (rows.staleRunning > 0) {
    checks.push({
      name: 'interrupted',
      level: 'warning',
      detail: `${rows.staleRunning} executions have been running for more than an hour`,
      advice: 'a long run is fine; if their process died, mark them: "execution-history recover --older-than 1h"',
    });
  }
  const instances = inspection.instances ?? undefined;
  return { checks, facts: { migrations, rows, ...(insights === null ? {} : { insights }), ...(instances === undefined ? {} : { instances }) } };
}
