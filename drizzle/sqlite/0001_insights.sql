CREATE TABLE `execution_counts` (
	`workflow_id` text NOT NULL,
	`trigger_type` text NOT NULL,
	`status` text NOT NULL,
	`executions` integer NOT NULL,
	`duration_count` integer NOT NULL,
	`duration_sum` integer NOT NULL,
	PRIMARY KEY(`workflow_id`, `trigger_type`, `status`)
);
--> statement-breakpoint
CREATE TABLE `node_rollups` (
	`grain` text NOT NULL,
	`workflow_id` text NOT NULL,
	`bucket_start` integer NOT NULL,
	`node_id` text NOT NULL,
	`node_type` text NOT NULL,
	`node_name` text,
	`success` integer NOT NULL,
	`error` integer NOT NULL,
	`skipped` integer NOT NULL,
	`duration_count` integer NOT NULL,
	`duration_sum` integer NOT NULL,
	`duration_max` integer,
	`histogram` text NOT NULL,
	`last_error_message` text,
	`last_error_at` integer,
	PRIMARY KEY(`grain`, `workflow_id`, `bucket_start`, `node_id`)
);
--> statement-breakpoint
CREATE INDEX `node_rollups_grain_bucket_idx` ON `node_rollups` (`grain`,`bucket_start`);--> statement-breakpoint
CREATE TABLE `workflow_rollups` (
	`grain` text NOT NULL,
	`workflow_id` text NOT NULL,
	`bucket_start` integer NOT NULL,
	`workflow_name` text NOT NULL,
	`success` integer NOT NULL,
	`error` integer NOT NULL,
	`duration_count` integer NOT NULL,
	`duration_sum` integer NOT NULL,
	`histogram` text NOT NULL,
	PRIMARY KEY(`grain`, `workflow_id`, `bucket_start`)
);
--> statement-breakpoint
DROP INDEX `execution_steps_node_started_idx`;--> statement-breakpoint
CREATE INDEX `workflow_executions_workflow_duration_idx` ON `workflow_executions` (`workflow_id`,(case when "duration_ms" is null then -1 else "duration_ms" end));--> statement-breakpoint
-- Written by hand: the running totals start from the executions already stored, so that the stats stay exact.
INSERT INTO `execution_counts` (`workflow_id`, `trigger_type`, `status`, `executions`, `duration_count`, `duration_sum`)
SELECT `workflow_id`, `trigger_type`, `status`, count(*), count(`duration_ms`), coalesce(sum(`duration_ms`), 0)
FROM `workflow_executions` GROUP BY `workflow_id`, `trigger_type`, `status`;
