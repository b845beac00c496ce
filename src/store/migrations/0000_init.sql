CREATE TABLE `feedback` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`received_at` integer NOT NULL,
	`service_id` text NOT NULL,
	`card_uuid` text NOT NULL,
	`invocation_id` text,
	`rule_id` text,
	`outcome` text NOT NULL,
	`accepted_suggestions` text,
	`override_reason_system` text,
	`override_reason_code` text,
	`override_reason_display` text,
	`override_comment` text,
	`outcome_timestamp` text NOT NULL,
	`client` text
);
--> statement-breakpoint
CREATE INDEX `feedback_card` ON `feedback` (`card_uuid`);--> statement-breakpoint
CREATE INDEX `feedback_service` ON `feedback` (`service_id`,`received_at`);--> statement-breakpoint
CREATE TABLE `invocation_cards` (
	`card_uuid` text PRIMARY KEY NOT NULL,
	`invocation_id` text NOT NULL,
	`service_id` text NOT NULL,
	`rule_id` text NOT NULL,
	`indicator` text NOT NULL,
	`suggestion_uuids` text NOT NULL,
	FOREIGN KEY (`invocation_id`) REFERENCES `invocations`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `invocation_cards_invocation` ON `invocation_cards` (`invocation_id`);--> statement-breakpoint
CREATE TABLE `invocations` (
	`id` text PRIMARY KEY NOT NULL,
	`received_at` integer NOT NULL,
	`service_id` text NOT NULL,
	`hook` text NOT NULL,
	`hook_instance` text,
	`client` text,
	`patient_id` text,
	`user_id` text,
	`encounter_id` text,
	`status` integer NOT NULL,
	`outcome` text NOT NULL,
	`error` text,
	`rules_evaluated` text NOT NULL,
	`rules_fired` text NOT NULL,
	`rule_errors` text NOT NULL,
	`card_count` integer NOT NULL,
	`prefetch_fetched` text NOT NULL,
	`prefetch_ms` real,
	`evaluate_ms` real,
	`total_ms` real NOT NULL,
	`request_body` text,
	`response_body` text
);
--> statement-breakpoint
CREATE INDEX `invocations_received_at` ON `invocations` (`received_at`);--> statement-breakpoint
CREATE INDEX `invocations_service` ON `invocations` (`service_id`,`received_at`);