ALTER TABLE `conversations` ADD `unreachable_at` integer;--> statement-breakpoint
ALTER TABLE `conversations` ADD `unreachable_reason` text;