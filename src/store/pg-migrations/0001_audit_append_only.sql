-- Audit rows are append-only, as on SQLite (migrations 0002 and 0005 there): the application has
-- no update path, and the database refuses one too, so a bug or a hand-written statement cannot
-- rewrite what a clinician saw. Row deletes stay possible: the retention purge is how old rows
-- leave. TRUNCATE (which skips row triggers) is refused as well.
CREATE FUNCTION cds_refuse_audit_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER invocations_append_only BEFORE UPDATE ON invocations FOR EACH ROW EXECUTE FUNCTION cds_refuse_audit_change();
--> statement-breakpoint
CREATE TRIGGER invocation_cards_append_only BEFORE UPDATE ON invocation_cards FOR EACH ROW EXECUTE FUNCTION cds_refuse_audit_change();
--> statement-breakpoint
CREATE TRIGGER feedback_append_only BEFORE UPDATE ON feedback FOR EACH ROW EXECUTE FUNCTION cds_refuse_audit_change();
--> statement-breakpoint
CREATE TRIGGER access_audit_append_only BEFORE UPDATE ON access_audit FOR EACH ROW EXECUTE FUNCTION cds_refuse_audit_change();
--> statement-breakpoint
CREATE TRIGGER rule_versions_append_only BEFORE UPDATE ON rule_versions FOR EACH ROW EXECUTE FUNCTION cds_refuse_audit_change();
--> statement-breakpoint
CREATE TRIGGER content_texts_append_only BEFORE UPDATE ON content_texts FOR EACH ROW EXECUTE FUNCTION cds_refuse_audit_change();
--> statement-breakpoint
CREATE TRIGGER invocations_no_truncate BEFORE TRUNCATE ON invocations FOR EACH STATEMENT EXECUTE FUNCTION cds_refuse_audit_change();
--> statement-breakpoint
CREATE TRIGGER invocation_cards_no_truncate BEFORE TRUNCATE ON invocation_cards FOR EACH STATEMENT EXECUTE FUNCTION cds_refuse_audit_change();
--> statement-breakpoint
CREATE TRIGGER feedback_no_truncate BEFORE TRUNCATE ON feedback FOR EACH STATEMENT EXECUTE FUNCTION cds_refuse_audit_change();
--> statement-breakpoint
CREATE TRIGGER access_invocations_no_truncate BEFORE TRUNCATE ON access_audit FOR EACH STATEMENT EXECUTE FUNCTION cds_refuse_audit_change();
