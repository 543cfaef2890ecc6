CREATE TABLE `insight_settings` (
	`id` integer PRIMARY KEY NOT NULL,
	`outlive_deletes` integer,
	`hourly_days` integer,
	`daily_days` integer,
	`node_hours_kept_from` integer,
	`workflow_hours_kept_from` integer,
	`days_kept_from` integer,
	CONSTRAINT "insight_settings_one_row" CHECK("insight_settings"."id" = 1)
);
--> statement-breakpoint
ALTER TABLE `node_rollups` ADD `deleted_duration_max` integer;--> statement-breakpoint
ALTER TABLE `node_rollups` ADD `deleted_last_error_message` text;--> statement-breakpoint
ALTER TABLE `node_rollups` ADD `deleted_last_error_at` integer;--> statement-breakpoint
-- The one settings row. A file that already has rollups may have had its hourly rows pruned: the earliest hourly
-- row that is later than the earliest daily one marks where they are kept from (no hourly row at all: after the
-- last day). Readers then take nothing from the hours before it; being later than needed only costs reads.
INSERT INTO `insight_settings` (`id`, `node_hours_kept_from`, `workflow_hours_kept_from`) VALUES (1,
	(SELECT CASE WHEN min(`bucket_start`) > (SELECT min(`bucket_start`) FROM `node_rollups` WHERE `grain` = 'day') THEN min(`bucket_start`)
		WHEN count(*) = 0 THEN (SELECT max(`bucket_start`) + 86400000 FROM `node_rollups` WHERE `grain` = 'day') END
		FROM `node_rollups` WHERE `grain` = 'hour'),
	(SELECT CASE WHEN min(`bucket_start`) > (SELECT min(`bucket_start`) FROM `workflow_rollups` WHERE `grain` = 'day') THEN min(`bucket_start`)
		WHEN count(*) = 0 THEN (SELECT max(`bucket_start`) + 86400000 FROM `workflow_rollups` WHERE `grain` = 'day') END
		FROM `workflow_rollups` WHERE `grain` = 'hour'));
