// The insight settings in force for a database: the ones it holds, the defaults for the others. One rule for the
// store (src/sqlite/insight-settings.ts) and for a read-only inspection (src/sqlite/inspection.ts).
import { DEFAULT_INSIGHT_SETTINGS } from './constants.js';
import type { InsightRetention, InsightSettings } from './types.js';

/** What a database holds of the settings: null where it holds none. */
export type StoredInsightSettings = { [K in keyof InsightRetention]-?: NonNullable<InsightRetention[K]> | null };

const SETTING_NAMES = ['outliveDeletes', 'hourlyDays', 'dailyDays'] as const;

export function insightSettingsInForce(stored: StoredInsightSettings): InsightSettings {
  return {
    outliveDeletes: stored.outliveDeletes ?? DEFAULT_INSIGHT_SETTINGS.outliveDeletes,
    hourlyDays: stored.hourlyDays ?? DEFAULT_INSIGHT_SETTINGS.hourlyDays,
    dailyDays: stored.dailyDays ?? DEFAULT_INSIGHT_SETTINGS.dailyDays,
    pinned: SETTING_NAMES.filter((name) => stored[name] !== null),
  };
}
