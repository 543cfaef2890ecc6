-- The one row of insight settings: every setting unpinned (null) and nothing pruned yet, as on a new SQLite file.
INSERT INTO "insight_settings" ("id") VALUES (1) ON CONFLICT DO NOTHING;
