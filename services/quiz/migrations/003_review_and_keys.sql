-- Answer review after a round closes: what each participant chose, and published answer keys.
CREATE TABLE IF NOT EXISTS attempt_choices (
    attempt_id text PRIMARY KEY REFERENCES attempts (attempt_id),
    choices    jsonb       NOT NULL, -- {question_id: option_key | null}, as graded
    created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- One publication per round; the key itself is read from the questions served in the round.
CREATE TABLE IF NOT EXISTS published_keys (
    contest_id   text        NOT NULL,
    round_id     text        NOT NULL,
    published_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    published_by text        NOT NULL,
    PRIMARY KEY (contest_id, round_id)
);
