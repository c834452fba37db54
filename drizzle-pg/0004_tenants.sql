CREATE TABLE "tenants" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"altegio_partner_token" text,
	"altegio_user_token" text,
	"altegio_api_url" text,
	"telegram_bot_token" text,
	"webhook_secret" text NOT NULL,
	"admin_token" text NOT NULL,
	"settings" jsonb NOT NULL,
	"settings_version" integer DEFAULT 0 NOT NULL,
	"created_at" bigint NOT NULL,
	"removing_since" bigint
);
