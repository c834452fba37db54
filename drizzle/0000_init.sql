CREATE TABLE `conversations` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`channel` text NOT NULL,
	`chat_id` text NOT NULL,
	`phone` text,
	`language` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `conversations_channel_chat_uq` ON `conversations` (`channel`,`chat_id`);--> statement-breakpoint
CREATE INDEX `conversations_phone_idx` ON `conversations` (`phone`);--> statement-breakpoint
CREATE TABLE `deliveries` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`company_id` integer NOT NULL,
	`record_id` integer,
	`client_phone` text,
	`kind` text NOT NULL,
	`decision` text NOT NULL,
	`reason` text NOT NULL,
	`channel` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `deliveries_phone_idx` ON `deliveries` (`client_phone`,`created_at`);--> statement-breakpoint
CREATE INDEX `deliveries_record_idx` ON `deliveries` (`record_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `dialogues` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`conversation_id` integer NOT NULL,
	`machine_id` text NOT NULL,
	`machine_version` integer NOT NULL,
	`snapshot` text NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`record_id` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`conversation_id`) REFERENCES `conversations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `dialogues_conversation_status_idx` ON `dialogues` (`conversation_id`,`status`);--> statement-breakpoint
CREATE UNIQUE INDEX `dialogues_one_active_uq` ON `dialogues` (`conversation_id`) WHERE "dialogues"."status" = 'active';--> statement-breakpoint
CREATE TABLE `inbound_events` (
	`source` text NOT NULL,
	`event_id` text NOT NULL,
	`received_at` integer NOT NULL,
	`payload` text,
	`processed_at` integer,
	PRIMARY KEY(`source`, `event_id`)
);
--> statement-breakpoint
CREATE INDEX `inbound_unprocessed_idx` ON `inbound_events` (`received_at`) WHERE "inbound_events"."processed_at" IS NULL;--> statement-breakpoint
CREATE TABLE `jobs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`kind` text NOT NULL,
	`due_at` integer NOT NULL,
	`dedupe_key` text NOT NULL,
	`payload` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	`state` text DEFAULT 'pending' NOT NULL,
	`company_id` integer,
	`record_id` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `jobs_dedupe_key_uq` ON `jobs` (`dedupe_key`);--> statement-breakpoint
CREATE INDEX `jobs_state_due_idx` ON `jobs` (`state`,`due_at`);--> statement-breakpoint
CREATE INDEX `jobs_record_idx` ON `jobs` (`company_id`,`record_id`);--> statement-breakpoint
CREATE TABLE `outbox` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`channel` text NOT NULL,
	`recipient` text NOT NULL,
	`payload` text NOT NULL,
	`idempotency_key` text NOT NULL,
	`state` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	`next_attempt_at` integer NOT NULL,
	`created_at` integer NOT NULL,
	`sent_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `outbox_idempotency_key_uq` ON `outbox` (`idempotency_key`);--> statement-breakpoint
CREATE INDEX `outbox_pending_due_idx` ON `outbox` (`next_attempt_at`) WHERE "outbox"."state" = 'pending';--> statement-breakpoint
CREATE TABLE `records` (
	`company_id` integer NOT NULL,
	`record_id` integer NOT NULL,
	`client_phone` text,
	`client_id` integer,
	`staff_ids` text NOT NULL,
	`datetime` text NOT NULL,
	`seance_length` integer NOT NULL,
	`attendance` integer NOT NULL,
	`deleted` integer NOT NULL,
	`last_change_date` text NOT NULL,
	`last_change_at` integer NOT NULL,
	`data` text NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`company_id`, `record_id`)
);
--> statement-breakpoint
CREATE INDEX `records_client_phone_idx` ON `records` (`client_phone`);--> statement-breakpoint
CREATE TABLE `tasks` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`kind` text NOT NULL,
	`title` text NOT NULL,
	`record_id` integer NOT NULL,
	`company_id` integer NOT NULL,
	`client_phone` text,
	`rating` integer,
	`comment` text,
	`created_at` integer NOT NULL,
	`done` integer DEFAULT false NOT NULL,
	`done_at` integer
);
--> statement-breakpoint
CREATE INDEX `tasks_done_created_idx` ON `tasks` (`done`,`created_at`);--> statement-breakpoint
CREATE TABLE `timers` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`dialogue_id` integer NOT NULL,
	`send_id` text NOT NULL,
	`event` text NOT NULL,
	`due_at` integer NOT NULL,
	`fired_at` integer,
	FOREIGN KEY (`dialogue_id`) REFERENCES `dialogues`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `timers_dialogue_send_uq` ON `timers` (`dialogue_id`,`send_id`);--> statement-breakpoint
CREATE INDEX `timers_due_unfired_idx` ON `timers` (`due_at`) WHERE "timers"."fired_at" IS NULL;