CREATE TABLE `ratings` (
	`company_id` integer NOT NULL,
	`record_id` integer NOT NULL,
	`rating` integer NOT NULL,
	`comment` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`company_id`, `record_id`)
);
