CREATE TABLE `compacted_weeks` (
	`week_start` integer PRIMARY KEY NOT NULL
);
