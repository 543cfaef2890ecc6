// What a store opening a database with insight settings pins, and when it is refused. Every process (every instance,
// on PostgreSQL) writing one database must count and keep the insights alike, so each setting is pinned in the
// database by the first that gives it, and one given differently later is refused with a message naming the
// database's value. Decided here once, so that both backends refuse the same things in the same words; the backends
// read the stored settings and write the pins, in a transaction that keeps two pinning at once from both succeeding.
import { ExecutionStoreError } from './errors.js';
import { checkHourlyKeptWithinDaily } from './hourly-kept-within-daily.js';
import { INSIGHT_SETTING_NAMES, retentionInForce, type StoredInsightSettings } from './insight-settings-in-force.js';
import type { InsightRetention } from './types.js';

/**
 * The settings of `given` to pin, those the database does not hold yet; undefined when there are none. Throws
 * VALIDATION when a given setting differs from the database's, or when pinning would keep hourly rollups longer
 * than daily ones.
 * @param what the caller, first in a message.
 * @param databaseName how messages name the database (a file's path, a server's URL without the password).
 */
export function settingsToPin(
  stored: StoredInsightSettings,
  given: InsightRetention,
  what: string,
  databaseName: string,
): InsightRetention | undefined {
  for (const name of INSIGHT_SETTING_NAMES) {
    const value = given[name];
    if (value === undefined || stored[name] === null || stored[name] === value) continue;
    throw new ExecutionStoreError(
      'VALIDATION',
      `${what}: invalid input: options.insights.${name}: ${databaseName} keeps insights with ${name} = ${stored[name]}, ` +
        // The same words on every backend (the same tests read both), "file" included.
        `and every process writing a file must use the same (got ${value}); expected ${stored[name]}, or the option left out to use the file's` +
        (name === 'outliveDeletes' ? '' : `, or setInsightRetention({ ${name} }) to change it for the file`),
    );
  }
  const unpinned = INSIGHT_SETTING_NAMES.filter((name) => given[name] !== undefined && stored[name] === null);
  if (unpinned.length === 0) return undefined;
  const pinning: InsightRetention = Object.fromEntries(unpinned.map((name) => [name, given[name]]));
  checkHourlyKeptWithinDaily({ ...retentionInForce(stored), ...pinning }, `${what}: invalid input: options.insights`);
  return pinning;
}
