// The one rule between the insight retention settings: hourly rollups are summed into daily ones, so the days must
// be kept at least as long as the hours (a day recounted from its hours needs them all). Checked wherever settings
// are given (a store pinning them, setInsightRetention), on every backend, with the same message.
import { ExecutionStoreError } from './errors.js';
import type { InsightRetention } from './types.js';

/** Throws VALIDATION, after `context`, when the settings keep hourly rollups longer than daily ones. */
export function checkHourlyKeptWithinDaily(retention: Required<InsightRetention>, context: string): void {
  if (retention.hourlyDays <= retention.dailyDays) return;
  throw new ExecutionStoreError(
    'VALIDATION',
    `${context}: hourlyDays (${retention.hourlyDays}) is more than dailyDays (${retention.dailyDays}); expected hourly rollups kept no longer than the daily ones they add up to`,
  );
}
