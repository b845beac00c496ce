CREATE TABLE "access_audit" (
	"id" serial PRIMARY KEY NOT NULL,
	"received_at" bigint NOT NULL,
	"kind" text NOT NULL,
	"method" text NOT NULL,
	"path" text NOT NULL,
	"status" integer NOT NULL,
	"principal" text,
	"role" text
);
--> statement-breakpoint
CREATE TABLE "content_texts" (
	"sha256" text PRIMARY KEY NOT NULL,
	"text" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "feedback" (
	"id" serial PRIMARY KEY NOT NULL,
	"received_at" bigint NOT NULL,
	"service_id" text NOT NULL,
	"card_uuid" text NOT NULL,
	"invocation_id" text,
	"rule_id" text,
	"outcome" text NOT NULL,
	"accepted_suggestions" text,
	"override_reason_system" text,
	"override_reason_code" text,
	"override_reason_display" text,
	"override_comment" text,
	"outcome_timestamp" text NOT NULL,
	"client" text
);
--> statement-breakpoint
CREATE TABLE "health_probe" (
	"id" integer PRIMARY KEY NOT NULL,
	"checked_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "invocation_cards" (
	"card_uuid" text PRIMARY KEY NOT NULL,
	"invocation_id" text NOT NULL,
	"service_id" text NOT NULL,
	"rule_id" text NOT NULL,
	"indicator" text NOT NULL,
	"suggestion_uuids" text NOT NULL,
	"rule_version" text,
	"silent" integer DEFAULT 0 NOT NULL,
	"suggestion_labels" text,
	"card_body" text
);
--> statement-breakpoint
CREATE TABLE "invocations" (
	"id" text PRIMARY KEY NOT NULL,
	"received_at" bigint NOT NULL,
	"service_id" text NOT NULL,
	"hook" text NOT NULL,
	"hook_instance" text,
	"client" text,
	"patient_id" text,
	"user_id" text,
	"encounter_id" text,
	"status" integer NOT NULL,
	"outcome" text NOT NULL,
	"error" text,
	"rules_evaluated" text NOT NULL,
	"rules_fired" text NOT NULL,
	"rules_silent" text DEFAULT '[]' NOT NULL,
	"rule_errors" text NOT NULL,
	"rules_skipped" text DEFAULT '[]' NOT NULL,
	"degraded_reasons" text,
	"prefetch_unavailable" text DEFAULT '[]' NOT NULL,
	"card_count" integer NOT NULL,
	"prefetch_fetched" text NOT NULL,
	"prefetch_ms" double precision,
	"evaluate_ms" double precision,
	"total_ms" double precision NOT NULL,
	"request_body" text,
	"response_body" text,
	"prefetch_body" text,
	"service_version" text,
	"retry_of" text
);
--> statement-breakpoint
CREATE TABLE "jwt_replay" (
	"iss" text NOT NULL,
	"jti" text NOT NULL,
	"expires_at" bigint NOT NULL,
	CONSTRAINT "jwt_replay_iss_jti_pk" PRIMARY KEY("iss","jti")
);
--> statement-breakpoint
CREATE TABLE "rule_versions" (
	"version" text PRIMARY KEY NOT NULL,
	"service_id" text NOT NULL,
	"rule_id" text NOT NULL,
	"author_version" text,
	"first_served_at" bigint NOT NULL,
	"sources" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "invocation_cards" ADD CONSTRAINT "invocation_cards_invocation_id_invocations_id_fk" FOREIGN KEY ("invocation_id") REFERENCES "public"."invocations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "access_audit_received_at" ON "access_audit" USING btree ("received_at");--> statement-breakpoint
CREATE INDEX "feedback_card" ON "feedback" USING btree ("card_uuid");--> statement-breakpoint
CREATE INDEX "feedback_service" ON "feedback" USING btree ("service_id","received_at");--> statement-breakpoint
CREATE INDEX "invocation_cards_invocation" ON "invocation_cards" USING btree ("invocation_id");--> statement-breakpoint
CREATE INDEX "invocation_cards_rule" ON "invocation_cards" USING btree ("rule_id");--> statement-breakpoint
CREATE INDEX "invocations_received_at" ON "invocations" USING btree ("received_at");--> statement-breakpoint
CREATE INDEX "invocations_service" ON "invocations" USING btree ("service_id","received_at");--> statement-breakpoint
CREATE INDEX "invocations_hook_instance" ON "invocations" USING btree ("service_id","hook_instance");--> statement-breakpoint
CREATE INDEX "jwt_replay_expires" ON "jwt_replay" USING btree ("expires_at");