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
-- The one settings row, with what can be told of an existing file. Its hourly rows may have been pruned: hours are
-- kept from the day after the latest day whose hourly rows do not add up to its daily row (a run recorded late can
-- leave one hourly row in a pruned day, so the earliest hourly row says nothing). Its daily rows may have been pruned
-- while older runs are still stored: days are kept from the earliest daily row then. Readers count the stored rows
-- before these points.
INSERT INTO `insight_settings` (`id`, `node_hours_kept_from`, `workflow_hours_kept_from`, `days_kept_from`)
SELECT 1, max(coalesce(node_hours, days), coalesce(days, node_hours)), max(coalesce(workflow_hours, days), coalesce(days, workflow_hours)), days
FROM (SELECT
	(SELECT max(d.`bucket_start`) + 86400000 FROM `node_rollups` d
		LEFT JOIN (SELECT `workflow_id`, `node_id`, `bucket_start` / 86400000 * 86400000 AS `day`, sum(`success` + `error` + `skipped`) AS `counted`
			FROM `node_rollups` WHERE `grain` = 'hour' GROUP BY 1, 2, 3) h
		ON h.`workflow_id` = d.`workflow_id` AND h.`node_id` = d.`node_id` AND h.`day` = d.`bucket_start`
		WHERE d.`grain` = 'day' AND d.`success` + d.`error` + d.`skipped` <> coalesce(h.`counted`, 0)) AS node_hours,
	(SELECT max(d.`bucket_start`) + 86400000 FROM `workflow_rollups` d
		LEFT JOIN (SELECT `workflow_id`, `bucket_start` / 86400000 * 86400000 AS `day`, sum(`success` + `error`) AS `counted`
			FROM `workflow_rollups` WHERE `grain` = 'hour' GROUP BY 1, 2) h
		ON h.`workflow_id` = d.`workflow_id` AND h.`day` = d.`bucket_start`
		WHERE d.`grain` = 'day' AND d.`success` + d.`error` <> coalesce(h.`counted`, 0)) AS workflow_hours,
	(SELECT min(`bucket_start`) FROM `workflow_rollups` WHERE `grain` = 'day' AND `workflow_id` = ''
		HAVING min(`bucket_start`) > (SELECT min(`started_at`) FROM `workflow_executions` WHERE `status` IN ('success', 'error'))) AS days);
--> statement-breakpoint
-- A file whose rollups count more runs on some day than it stores has kept deleted runs counted: its insights outlive
-- deletes, whatever process opens it next.
UPDATE `insight_settings` SET `outlive_deletes` = 1 WHERE EXISTS (
	SELECT 1 FROM `workflow_rollups` r WHERE r.`grain` = 'day' AND r.`workflow_id` = '' AND r.`success` + r.`error` > (
		SELECT count(*) FROM `workflow_executions` e WHERE e.`status` IN ('success', 'error')
			AND e.`started_at` >= r.`bucket_start` AND e.`started_at` < r.`bucket_start` + 86400000));
--> statement-breakpoint
-- Where no run of a workflow is stored any more in an hour or a day, every step its node rows count was deleted: what
-- the deleted steps were is what the rows say. (Rows that still have stored steps beside deleted ones cannot be told
-- apart; README.md says what that means.)
UPDATE `node_rollups` SET `deleted_duration_max` = `duration_max`, `deleted_last_error_at` = `last_error_at`,
	`deleted_last_error_message` = `last_error_message`
WHERE `grain` IN ('hour', 'day') AND NOT EXISTS (
	SELECT 1 FROM `workflow_executions` e WHERE e.`workflow_id` = `node_rollups`.`workflow_id`
		AND e.`started_at` >= `node_rollups`.`bucket_start`
		AND e.`started_at` < `node_rollups`.`bucket_start` + CASE `node_rollups`.`grain` WHEN 'hour' THEN 3600000 ELSE 86400000 END);
