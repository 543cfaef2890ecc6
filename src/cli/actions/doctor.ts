// `doctor`: is this history file healthy? File and WAL size, pages, an integrity check, pragmas, migrations and
// row counts, read without changing anything. Exit 1 when something is wrong, each problem with what to do.
import type { HistoryInspection } from '../../core/types.js';
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

export async function doctor(context: Context, options: { quick?: boolean }): Promise<void> {
  context.requireFile();
  const bytes = fileBytes(context.dbPath);
  let checks: Check[];
  let facts: Record<string, unknown>;
  try {
    const inspection = await inspectExecutionHistory(context.dbPath, {
      integrity: options.quick === true ? 'quick' : 'full',
      runningSince: context.io.now() - STALE_RUNNING_MS,
    });
    ({ checks, facts } = examine(inspection));
  } catch (error) {
    checks = [
      {
        name: 'database',
        level: 'problem',
        detail: `cannot be read: ${(error as Error).message}`,
        advice: 'check that --db names a SQLite file written by this package; restore it from a backup if it was damaged',
      },
    ];
    facts = {};
  }
  const walDetail = `${formatBytes(bytes.wal)}`;
  checks.unshift({
    name: 'wal',
    level: bytes.wal > 4 * DEFAULT_WAL_LIMIT_BYTES ? 'warning' : 'ok',
    detail: walDetail,
    ...(bytes.wal > 4 * DEFAULT_WAL_LIMIT_BYTES
      ? { advice: 'a long-running reader keeps SQLite from starting the WAL over; close idle connections (a drizzle-kit studio left open, say)' }
      : {}),
  });
  checks.unshift({ name: 'file', level: 'ok', detail: `${context.dbPath}, ${formatBytes(bytes.database)}` });
  const ok = checks.every((check) => check.level !== 'problem');
  if (context.json) {
    context.terminal.json({ ok, file: context.dbPath, databaseBytes: bytes.database, walBytes: bytes.wal, ...facts, checks });
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

/** The inspection's findings as checks, each problem with what to do; and the facts `--json` prints. */
function examine(inspection: HistoryInspection): { checks: Check[]; facts: Record<string, unknown> } {
  const { pageSize, pageCount, freePages, journalMode, autoVacuum, migrations, insights } = inspection;
  const integrity = inspection.integrity ?? ['ok'];
  const { runningSince: staleRunning, ...counts } = inspection.rows;
  const rows = { ...counts, staleRunning: staleRunning ?? 0 };
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
    migrations.pending.length === 0
      ? { name: 'migrations', level: 'ok', detail: `${migrations.applied.length} applied, latest ${migrations.applied.at(-1)}` }
      : { name: 'migrations', level: 'problem', detail: `${migrations.pending.length} pending: ${migrations.pending.join(', ')}`, advice: 'apply them: "execution-history migrate"' },
    { name: 'rows', level: 'ok', detail: `${rows.executions} executions (${rows.running} running), ${rows.steps} steps` },
  ];
  if (insights !== null) {
    const shown = (name: (typeof insights.pinned)[number]) => `${name} ${insights[name]} (${insights.pinned.includes(name) ? 'file' : 'default'})`;
    checks.push({ name: 'insights', level: 'ok', detail: (['outliveDeletes', 'hourlyDays', 'dailyDays'] as const).map(shown).join(', ') });
  }
  if (rows.staleRunning > 0) {
    checks.push({
      name: 'interrupted',
      level: 'warning',
      detail: `${rows.staleRunning} executions have been running for more than an hour`,
      advice: 'if their process died, mark them: "execution-history recover"',
    });
  }
  return { checks, facts: { pageSize, pageCount, freePages, journalMode, autoVacuum, integrity, migrations, rows, ...(insights === null ? {} : { insights }) } };
}
