// The insight settings in force for a database: the ones it holds, the defaults for the others. One rule for the
// stores (src/sqlite/insight-settings.ts, src/postgres/insight-settings.ts) and for a read-only inspection
// (src/sqlite/inspection.ts, src/postgres/inspection.ts).
import { DEFAULT_INSIGHT_SETTINGS } from './constants.js';
import type { InsightRetention, InsightSettings } from './types.js';

/** What a database holds of the settings: null where it holds none. */
export type StoredInsightSettings = { [K in keyof InsightRetention]-?: NonNullable<InsightRetention[K]> | null };

/** The settings a database holds (pins), in the order they are checked and listed. */
export const INSIGHT_SETTING_NAMES = ['outliveDeletes', 'hourlyDays', 'dailyDays'] as const;

export function insightSettingsInForce(stored: StoredInsightSettings): InsightSettings {
  return {
    outliveDeletes: stored.outliveDeletes ?? DEFAULT_INSIGHT_SETTINGS.outliveDeletes,
    hourlyDays: stored.hourlyDays ?? DEFAULT_INSIGHT_SETTINGS.hourlyDays,
    dailyDays: stored.dailyDays ?? DEFAULT_INSIGHT_SETTINGS.dailyDays,
    pinned: INSIGHT_SETTING_NAMES.filter((name) => stored[name] !== null),
  };
}

/** The settings in force, without which of them the database holds. */
export function retentionInForce(stored: StoredInsightSettings): Required<InsightRetention> {
  const { pinned: _, ...settings } = insightSettingsInForce(stored);
  return settings;
}
