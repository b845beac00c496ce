ALTER TABLE `invocations` ADD `retry_of` text;--> statement-breakpoint
CREATE INDEX `invocations_hook_instance` ON `invocations` (`service_id`,`hook_instance`);