CREATE TABLE "history_instances" (
	"id" text PRIMARY KEY NOT NULL,
	"host" text NOT NULL,
	"pid" integer NOT NULL,
	"incarnation" text NOT NULL,
	"started_at" bigint NOT NULL,
	"heard_at" bigint NOT NULL,
	"lease_ms" bigint NOT NULL
);
--> statement-breakpoint
ALTER TABLE "workflow_executions" ADD COLUMN "instance_id" text;--> statement-breakpoint
CREATE INDEX "workflow_executions_running_instance_idx" ON "workflow_executions" USING btree ("instance_id") WHERE "workflow_executions"."status" = 'running';