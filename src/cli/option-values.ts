// The values --status, --trigger and --limit accept: the core's constants, a module that imports nothing, so that
// `--help` and the option parsing need not load drizzle and zod.
export { EXECUTION_STATUSES, MAX_PAGE_SIZE, TRIGGER_TYPES } from '../core/constants.js';
