CREATE TABLE `access_audit` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`received_at` integer NOT NULL,
	`kind` text NOT NULL,
	`method` text NOT NULL,
	`path` text NOT NULL,
	`status` integer NOT NULL,
	`principal` text,
	`role` text
);
--> statement-breakpoint
CREATE INDEX `access_audit_received_at` ON `access_audit` (`received_at`);--> statement-breakpoint
CREATE TABLE `content_texts` (
	`sha256` text PRIMARY KEY NOT NULL,
	`text` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `health_probe` (
	`id` integer PRIMARY KEY NOT NULL,
	`checked_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `rule_versions` (
	`version` text PRIMARY KEY NOT NULL,
	`service_id` text NOT NULL,
	`rule_id` text NOT NULL,
	`author_version` text,
	`first_served_at` integer NOT NULL,
	`sources` text NOT NULL
);
--> statement-breakpoint
ALTER TABLE `invocation_cards` ADD `rule_version` text;--> statement-breakpoint
ALTER TABLE `invocation_cards` ADD `silent` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `invocation_cards` ADD `suggestion_labels` text;--> statement-breakpoint
ALTER TABLE `invocation_cards` ADD `card_body` text;--> statement-breakpoint
CREATE INDEX `invocation_cards_rule` ON `invocation_cards` (`rule_id`);--> statement-breakpoint
ALTER TABLE `invocations` ADD `rules_silent` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `invocations` ADD `prefetch_body` text;--> statement-breakpoint
ALTER TABLE `invocations` ADD `service_version` text;--> statement-breakpoint
-- Audit rows stay append-only (as 0002): the access log and the versions a card points to.
CREATE TRIGGER `access_audit_append_only` BEFORE UPDATE ON `access_audit`
BEGIN SELECT RAISE(ABORT, 'access_audit is append-only'); END;
--> statement-breakpoint
CREATE TRIGGER `rule_versions_append_only` BEFORE UPDATE ON `rule_versions`
BEGIN SELECT RAISE(ABORT, 'rule_versions are append-only'); END;
--> statement-breakpoint
CREATE TRIGGER `content_texts_append_only` BEFORE UPDATE ON `content_texts`
BEGIN SELECT RAISE(ABORT, 'content_texts are append-only'); END;
