CREATE TABLE `record_syncs` (
	`company_id` integer PRIMARY KEY NOT NULL,
	`last_sync_at` integer,
	`last_full_sync_at` integer,
	`last_count` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	`last_error_at` integer,
	`updated_at` integer NOT NULL
);
