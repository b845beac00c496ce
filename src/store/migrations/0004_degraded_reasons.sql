ALTER TABLE `invocations` ADD `degraded_reasons` text;--> statement-breakpoint
ALTER TABLE `invocations` ADD `prefetch_unavailable` text DEFAULT '[]' NOT NULL;