DROP INDEX "invocations_hook_instance";--> statement-breakpoint
CREATE INDEX "invocations_hook_instance" ON "invocations" USING btree ("service_id","hook_instance","retry_of","received_at");