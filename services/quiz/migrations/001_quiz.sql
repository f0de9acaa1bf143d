-- Quiz: participants, versioned question banks, attempts, OTP codes.
CREATE TABLE IF NOT EXISTS participants (
    participant_id text PRIMARY KEY,
    contest_id     text        NOT NULL,
    phone          text        NOT NULL,
    full_name      text        NOT NULL,
    unit_id        text        NOT NULL,
    birth_year     int,
    created_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    UNIQUE (contest_id, phone)
);

CREATE TABLE IF NOT EXISTS bank_versions (
    version        serial PRIMARY KEY,
    contest_id     text        NOT NULL,
    round_id       text,               -- NULL: every round
    source         text        NOT NULL,
    question_count int         NOT NULL,
    questions      jsonb       NOT NULL, -- [{id, text, options: [{key, text}], answer}]
    created_at     timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX IF NOT EXISTS bank_versions_current ON bank_versions (contest_id, round_id, version DESC);

CREATE TABLE IF NOT EXISTS attempts (
    attempt_id     text PRIMARY KEY,
    participant_id text        NOT NULL REFERENCES participants (participant_id),
    contest_id     text        NOT NULL,
    round_id       text        NOT NULL,
    bank_version   int         NOT NULL REFERENCES bank_versions (version),
    display_name   text        NOT NULL,
    unit_id        text        NOT NULL,
    questions      jsonb       NOT NULL, -- served questions, options in served order, with answers
    started_at     timestamptz NOT NULL,
    deadline       timestamptz NOT NULL,
    status         text        NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'submitted', 'expired')),
    submitted_at   timestamptz,
    result         jsonb
);
CREATE INDEX IF NOT EXISTS attempts_by_participant ON attempts (participant_id, round_id);
-- One open attempt per participant, enforced by the database as well as by the start logic.
CREATE UNIQUE INDEX IF NOT EXISTS attempts_one_open ON attempts (participant_id) WHERE status = 'open';
CREATE INDEX IF NOT EXISTS attempts_open ON attempts (deadline) WHERE status = 'open';

CREATE TABLE IF NOT EXISTS otp_codes (
    participant_id text PRIMARY KEY REFERENCES participants (participant_id),
    code_hash      text        NOT NULL,
    expires_at     timestamptz NOT NULL,
    tries          int         NOT NULL DEFAULT 0
);
