// The values --status, --trigger and --limit accept, copied from the library's schema and validation so that
// `--help` and the option parsing need not load drizzle and zod; tests/cli.test.ts pins them equal to the originals.
export const EXECUTION_STATUSES = ['running', 'success', 'error'] as const;
export const TRIGGER_TYPES = ['webhook', 'schedule', 'manual', 'db_change', 'internal_event'] as const;
/** The most rows one page (and one group list) may hold. */
export const MAX_PAGE_SIZE = 1000;
