CREATE TABLE `history_instances` (
	`id` text PRIMARY KEY NOT NULL,
	`host` text NOT NULL,
	`pid` integer NOT NULL,
	`incarnation` text NOT NULL,
	`started_at` integer NOT NULL,
	`heard_at` integer NOT NULL,
	`lease_ms` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `workflow_executions` ADD `instance_id` text;--> statement-breakpoint
CREATE INDEX `workflow_executions_running_instance_idx` ON `workflow_executions` (`instance_id`) WHERE "workflow_executions"."status" = 'running';