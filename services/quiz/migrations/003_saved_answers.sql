-- Answers saved while an attempt is open (a weak network must not cost the participant's work).
-- One row per (attempt, question); `seq` is the client's sequence number: a write only replaces a
-- row with a smaller one, so a late retry of an old write never overwrites a newer answer.
-- The free question is stored the same way, its value in `free_value` (option_key NULL).
CREATE TABLE IF NOT EXISTS attempt_answers (
    attempt_id  text        NOT NULL REFERENCES attempts (attempt_id),
    question_id text        NOT NULL,
    option_key  text,
    free_value  text,
    seq         bigint      NOT NULL,
    saved_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (attempt_id, question_id)
);
