-- Audit rows are append-only: the application has no update path, and the database refuses one
-- too, so a bug or a hand-written statement cannot rewrite what a clinician saw. Deletes stay
-- possible because the retention purge (store.purgeOlderThan) is how old rows leave.
CREATE TRIGGER `invocations_append_only` BEFORE UPDATE ON `invocations`
BEGIN SELECT RAISE(ABORT, 'invocations are append-only'); END;
--> statement-breakpoint
CREATE TRIGGER `invocation_cards_append_only` BEFORE UPDATE ON `invocation_cards`
BEGIN SELECT RAISE(ABORT, 'invocation_cards are append-only'); END;
--> statement-breakpoint
CREATE TRIGGER `feedback_append_only` BEFORE UPDATE ON `feedback`
BEGIN SELECT RAISE(ABORT, 'feedback is append-only'); END;
