CREATE TABLE `jwt_replay` (
	`iss` text NOT NULL,
	`jti` text NOT NULL,
	`expires_at` integer NOT NULL,
	PRIMARY KEY(`iss`, `jti`)
);
--> statement-breakpoint
CREATE INDEX `jwt_replay_expires` ON `jwt_replay` (`expires_at`);--> statement-breakpoint
ALTER TABLE `invocations` ADD `rules_skipped` text DEFAULT '[]' NOT NULL;