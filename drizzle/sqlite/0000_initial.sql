CREATE TABLE `execution_steps` (
	`id` text PRIMARY KEY NOT NULL,
	`execution_id` text NOT NULL,
	`node_id` text NOT NULL,
	`node_type` text NOT NULL,
	`node_name` text,
	`step_index` integer NOT NULL,
	`started_at` integer NOT NULL,
	`completed_at` integer,
	`duration_ms` integer,
	`status` text NOT NULL,
	`input_data` text,
	`output_data` text,
	`error_message` text,
	FOREIGN KEY (`execution_id`) REFERENCES `workflow_executions`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "execution_steps_status_check" CHECK("execution_steps"."status" in ('running', 'success', 'error', 'skipped')),
	CONSTRAINT "execution_steps_duration_check" CHECK("execution_steps"."duration_ms" >= 0)
);
--> statement-breakpoint
CREATE INDEX `execution_steps_execution_step_idx` ON `execution_steps` (`execution_id`,`step_index`);--> statement-breakpoint
CREATE INDEX `execution_steps_node_started_idx` ON `execution_steps` (`node_id`,`started_at`);--> statement-breakpoint
CREATE TABLE `workflow_executions` (
	`id` text PRIMARY KEY NOT NULL,
	`workflow_id` text NOT NULL,
	`workflow_name` text NOT NULL,
	`trigger_type` text NOT NULL,
	`trigger_data` text,
	`status` text NOT NULL,
	`started_at` integer NOT NULL,
	`completed_at` integer,
	`duration_ms` integer,
	`error_message` text,
	`error_stack` text,
	`metadata` text,
	CONSTRAINT "workflow_executions_status_check" CHECK("workflow_executions"."status" in ('running', 'success', 'error')),
	CONSTRAINT "workflow_executions_trigger_type_check" CHECK("workflow_executions"."trigger_type" in ('webhook', 'schedule', 'manual', 'db_change', 'internal_event')),
	CONSTRAINT "workflow_executions_duration_check" CHECK("workflow_executions"."duration_ms" >= 0)
);
--> statement-breakpoint
CREATE INDEX `workflow_executions_workflow_started_idx` ON `workflow_executions` (`workflow_id`,`started_at`);--> statement-breakpoint
CREATE INDEX `workflow_executions_status_started_idx` ON `workflow_executions` (`status`,`started_at`);--> statement-breakpoint
CREATE INDEX `workflow_executions_workflow_status_started_idx` ON `workflow_executions` (`workflow_id`,`status`,`started_at`);--> statement-breakpoint
CREATE INDEX `workflow_executions_started_idx` ON `workflow_executions` (`started_at`);--> statement-breakpoint
CREATE INDEX `workflow_executions_duration_idx` ON `workflow_executions` ((case when "duration_ms" is null then -1 else "duration_ms" end));