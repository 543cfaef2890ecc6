-- Executions and steps partitioned by UTC day of their ids (uuid v7 holding the run's start; see
-- src/postgres/partitions.ts), so that retention drops whole days. Written by hand around what drizzle-kit generated
-- (the foreign key dropped, ids compared byte by byte): drizzle-kit has no words for partitions.
--
-- A database that already holds history keeps it where it is: each table becomes the partition `…_legacy` of its new
-- parent, holding every id before the day after tomorrow (UTC), and the store adds a partition per day from there.
-- Retention deletes the legacy partitions' rows in batches, and drops them once all they hold is past the cut.
-- This takes the tables' exclusive locks for the length of the migration: the ids' collation change rebuilds the
-- indexes on them (seconds per million rows; see the README). An empty database simply gets the new tables.
ALTER TABLE "execution_steps" DROP CONSTRAINT "execution_steps_execution_id_workflow_executions_id_fk";--> statement-breakpoint
DROP INDEX "workflow_executions_id_prefix_idx";--> statement-breakpoint
ALTER TABLE "workflow_executions" RENAME TO "workflow_executions_legacy";--> statement-breakpoint
ALTER TABLE "execution_steps" RENAME TO "execution_steps_legacy";--> statement-breakpoint
DO $$
DECLARE
  name text;
BEGIN
  -- Index names are the schema's: the parents' indexes take them, the legacy ones get a suffix.
  FOR name IN SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename IN ('workflow_executions_legacy', 'execution_steps_legacy') LOOP
    EXECUTE format('ALTER INDEX %I RENAME TO %I', name, name || '_legacy');
  END LOOP;
END $$;--> statement-breakpoint
ALTER TABLE "workflow_executions_legacy" ALTER COLUMN "id" SET DATA TYPE text COLLATE "C";--> statement-breakpoint
ALTER TABLE "execution_steps_legacy" ALTER COLUMN "id" SET DATA TYPE text COLLATE "C";--> statement-breakpoint
ALTER TABLE "execution_steps_legacy" ALTER COLUMN "execution_id" SET DATA TYPE text COLLATE "C";--> statement-breakpoint
CREATE TABLE "workflow_executions" (LIKE "workflow_executions_legacy" INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY RANGE ("id");--> statement-breakpoint
CREATE TABLE "execution_steps" (LIKE "execution_steps_legacy" INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY RANGE ("id");--> statement-breakpoint
ALTER TABLE "workflow_executions" ADD CONSTRAINT "workflow_executions_pkey" PRIMARY KEY ("id");--> statement-breakpoint
ALTER TABLE "execution_steps" ADD CONSTRAINT "execution_steps_pkey" PRIMARY KEY ("id");--> statement-breakpoint
CREATE INDEX "workflow_executions_workflow_started_idx" ON "workflow_executions" USING btree ("workflow_id","started_at");--> statement-breakpoint
CREATE INDEX "workflow_executions_status_started_idx" ON "workflow_executions" USING btree ("status","started_at");--> statement-breakpoint
CREATE INDEX "workflow_executions_workflow_status_started_idx" ON "workflow_executions" USING btree ("workflow_id","status","started_at");--> statement-breakpoint
CREATE INDEX "workflow_executions_started_idx" ON "workflow_executions" USING btree ("started_at");--> statement-breakpoint
CREATE INDEX "workflow_executions_duration_idx" ON "workflow_executions" USING btree ((case when "duration_ms" is null then -1 else "duration_ms" end));--> statement-breakpoint
CREATE INDEX "workflow_executions_workflow_duration_idx" ON "workflow_executions" USING btree ("workflow_id",(case when "duration_ms" is null then -1 else "duration_ms" end));--> statement-breakpoint
CREATE INDEX "workflow_executions_running_idx" ON "workflow_executions" USING btree ("started_at") WHERE "workflow_executions"."status" = 'running';--> statement-breakpoint
CREATE INDEX "workflow_executions_finished_duration_idx" ON "workflow_executions" USING btree ("duration_ms") WHERE "workflow_executions"."duration_ms" is not null;--> statement-breakpoint
CREATE INDEX "workflow_executions_workflow_finished_duration_idx" ON "workflow_executions" USING btree ("workflow_id","duration_ms") WHERE "workflow_executions"."duration_ms" is not null;--> statement-breakpoint
CREATE INDEX "workflow_executions_running_instance_idx" ON "workflow_executions" USING btree ("instance_id") WHERE "workflow_executions"."status" = 'running';--> statement-breakpoint
CREATE INDEX "execution_steps_execution_step_idx" ON "execution_steps" USING btree ("execution_id","step_index");--> statement-breakpoint
CREATE INDEX "execution_steps_running_idx" ON "execution_steps" USING btree ("execution_id") WHERE "execution_steps"."status" = 'running';--> statement-breakpoint
DO $$
DECLARE
  -- Ids are uuid v7: their first 12 hex digits are the time in ms. The legacy partitions hold every id before the
  -- day after tomorrow, so that ids made while this runs (or by a clock a little ahead) fit too.
  boundary_ms bigint := (extract(epoch FROM ((now() AT TIME ZONE 'UTC')::date + 2)::timestamp) * 1000)::bigint;
  hex text := lpad(to_hex(boundary_ms), 12, '0');
  boundary text := substr(hex, 1, 8) || '-' || substr(hex, 9, 4);
BEGIN
  IF NOT EXISTS (SELECT 1 FROM "workflow_executions_legacy") AND NOT EXISTS (SELECT 1 FROM "execution_steps_legacy") THEN
    DROP TABLE "execution_steps_legacy";
    DROP TABLE "workflow_executions_legacy";
    RETURN;
  END IF;
  -- A CHECK that implies the partition's range, so that ATTACH does not read the table to prove it.
  EXECUTE format('ALTER TABLE "workflow_executions_legacy" ADD CONSTRAINT "workflow_executions_legacy_range" CHECK ("id" < %L)', boundary);
  EXECUTE format('ALTER TABLE "execution_steps_legacy" ADD CONSTRAINT "execution_steps_legacy_range" CHECK ("id" < %L)', boundary);
  EXECUTE format('ALTER TABLE "workflow_executions" ATTACH PARTITION "workflow_executions_legacy" FOR VALUES FROM (MINVALUE) TO (%L)', boundary);
  EXECUTE format('ALTER TABLE "execution_steps" ATTACH PARTITION "execution_steps_legacy" FOR VALUES FROM (MINVALUE) TO (%L)', boundary);
  ALTER TABLE "workflow_executions_legacy" DROP CONSTRAINT "workflow_executions_legacy_range";
  ALTER TABLE "execution_steps_legacy" DROP CONSTRAINT "execution_steps_legacy_range";
END $$;
