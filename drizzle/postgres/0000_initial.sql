CREATE TABLE "compacted_weeks" (
	"week_start" bigint PRIMARY KEY NOT NULL
);
--> statement-breakpoint
CREATE TABLE "execution_counts" (
	"workflow_id" text NOT NULL,
	"trigger_type" text NOT NULL,
	"status" text NOT NULL,
	"shard" smallint NOT NULL,
	"executions" bigint NOT NULL,
	"duration_count" bigint NOT NULL,
	"duration_sum" bigint NOT NULL,
	CONSTRAINT "execution_counts_workflow_id_trigger_type_status_shard_pk" PRIMARY KEY("workflow_id","trigger_type","status","shard")
);
--> statement-breakpoint
CREATE TABLE "execution_steps" (
	"id" text PRIMARY KEY NOT NULL,
	"execution_id" text NOT NULL,
	"node_id" text NOT NULL,
	"node_type" text NOT NULL,
	"node_name" text,
	"step_index" integer NOT NULL,
	"started_at" bigint NOT NULL,
	"completed_at" bigint,
	"duration_ms" bigint,
	"status" text NOT NULL,
	"input_data" text,
	"output_data" text,
	"error_message" text,
	CONSTRAINT "execution_steps_status_check" CHECK ("execution_steps"."status" in ('running', 'success', 'error', 'skipped')),
	CONSTRAINT "execution_steps_duration_check" CHECK ("execution_steps"."duration_ms" >= 0)
);
--> statement-breakpoint
CREATE TABLE "insight_settings" (
	"id" integer PRIMARY KEY NOT NULL,
	"outlive_deletes" boolean,
	"hourly_days" integer,
	"daily_days" integer,
	"node_hours_kept_from" bigint,
	"workflow_hours_kept_from" bigint,
	"days_kept_from" bigint,
	CONSTRAINT "insight_settings_one_row" CHECK ("insight_settings"."id" = 1)
);
--> statement-breakpoint
CREATE TABLE "node_rollups" (
	"grain" text NOT NULL,
	"workflow_id" text NOT NULL,
	"bucket_start" bigint NOT NULL,
	"node_id" text NOT NULL,
	"node_type" text NOT NULL,
	"node_name" text,
	"success" bigint NOT NULL,
	"error" bigint NOT NULL,
	"skipped" bigint NOT NULL,
	"duration_count" bigint NOT NULL,
	"duration_sum" bigint NOT NULL,
	"duration_max" bigint,
	"histogram" text NOT NULL,
	"last_error_message" text,
	"last_error_at" bigint,
	"deleted_duration_max" bigint,
	"deleted_last_error_message" text,
	"deleted_last_error_at" bigint,
	CONSTRAINT "node_rollups_grain_workflow_id_bucket_start_node_id_pk" PRIMARY KEY("grain","workflow_id","bucket_start","node_id")
);
--> statement-breakpoint
CREATE TABLE "workflow_executions" (
	"id" text PRIMARY KEY NOT NULL,
	"workflow_id" text NOT NULL,
	"workflow_name" text NOT NULL,
	"trigger_type" text NOT NULL,
	"trigger_data" text,
	"status" text NOT NULL,
	"started_at" bigint NOT NULL,
	"completed_at" bigint,
	"duration_ms" bigint,
	"error_message" text,
	"error_stack" text,
	"metadata" text,
	CONSTRAINT "workflow_executions_status_check" CHECK ("workflow_executions"."status" in ('running', 'success', 'error')),
	CONSTRAINT "workflow_executions_trigger_type_check" CHECK ("workflow_executions"."trigger_type" in ('webhook', 'schedule', 'manual', 'db_change', 'internal_event')),
	CONSTRAINT "workflow_executions_duration_check" CHECK ("workflow_executions"."duration_ms" >= 0)
);
--> statement-breakpoint
CREATE TABLE "workflow_rollups" (
	"grain" text NOT NULL,
	"workflow_id" text NOT NULL,
	"bucket_start" bigint NOT NULL,
	"shard" smallint NOT NULL,
	"workflow_name" text NOT NULL,
	"success" bigint NOT NULL,
	"error" bigint NOT NULL,
	"duration_count" bigint NOT NULL,
	"duration_sum" bigint NOT NULL,
	"histogram" text NOT NULL,
	"named_at" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "workflow_rollups_grain_workflow_id_bucket_start_shard_pk" PRIMARY KEY("grain","workflow_id","bucket_start","shard")
);
--> statement-breakpoint
ALTER TABLE "execution_steps" ADD CONSTRAINT "execution_steps_execution_id_workflow_executions_id_fk" FOREIGN KEY ("execution_id") REFERENCES "public"."workflow_executions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "execution_steps_execution_step_idx" ON "execution_steps" USING btree ("execution_id","step_index");--> statement-breakpoint
CREATE INDEX "execution_steps_running_idx" ON "execution_steps" USING btree ("execution_id") WHERE "execution_steps"."status" = 'running';--> statement-breakpoint
CREATE INDEX "node_rollups_grain_bucket_idx" ON "node_rollups" USING btree ("grain","bucket_start");--> statement-breakpoint
CREATE INDEX "workflow_executions_workflow_started_idx" ON "workflow_executions" USING btree ("workflow_id","started_at");--> statement-breakpoint
CREATE INDEX "workflow_executions_status_started_idx" ON "workflow_executions" USING btree ("status","started_at");--> statement-breakpoint
CREATE INDEX "workflow_executions_workflow_status_started_idx" ON "workflow_executions" USING btree ("workflow_id","status","started_at");--> statement-breakpoint
CREATE INDEX "workflow_executions_started_idx" ON "workflow_executions" USING btree ("started_at");--> statement-breakpoint
CREATE INDEX "workflow_executions_duration_idx" ON "workflow_executions" USING btree ((case when "duration_ms" is null then -1 else "duration_ms" end));--> statement-breakpoint
CREATE INDEX "workflow_executions_workflow_duration_idx" ON "workflow_executions" USING btree ("workflow_id",(case when "duration_ms" is null then -1 else "duration_ms" end));--> statement-breakpoint
CREATE INDEX "workflow_executions_running_idx" ON "workflow_executions" USING btree ("started_at") WHERE "workflow_executions"."status" = 'running';--> statement-breakpoint
CREATE INDEX "workflow_executions_id_prefix_idx" ON "workflow_executions" USING btree ("id" text_pattern_ops);--> statement-breakpoint
CREATE INDEX "workflow_rollups_grain_bucket_idx" ON "workflow_rollups" USING btree ("grain","bucket_start");