-- Staff accounts: unit representatives, judges, head judges, organizers.
CREATE TABLE IF NOT EXISTS staff (
    id            text PRIMARY KEY,
    display_name  text        NOT NULL,
    role          text        NOT NULL CHECK (role IN ('unit_rep', 'judge', 'head_judge', 'organizer')),
    unit_id       text,
    password_hash text        NOT NULL,
    active        boolean     NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now()
);
-- One representative account per unit.
CREATE UNIQUE INDEX IF NOT EXISTS staff_one_rep_per_unit ON staff (unit_id) WHERE role = 'unit_rep' AND active;

CREATE SEQUENCE IF NOT EXISTS initiative_seq;
CREATE TABLE IF NOT EXISTS initiatives (
    id            text PRIMARY KEY,          -- ini-0042, stable: the public content_id
    unit_id       text        NOT NULL,
    field         text        NOT NULL,
    title         text        NOT NULL,
    summary       text        NOT NULL DEFAULT '',
    description   text        NOT NULL DEFAULT '',
    links         jsonb       NOT NULL DEFAULT '[]',
    contact       text        NOT NULL DEFAULT '',
    status        text        NOT NULL DEFAULT 'draft',
    return_reason text,
    created_by    text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    submitted_at  timestamptz,
    approved_at   timestamptz,
    publish_version integer   NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS initiatives_status ON initiatives (status, unit_id, field);

-- Every score is a new revision per (judge, phase, subject); the highest wins.
CREATE TABLE IF NOT EXISTS scores (
    judge_id     text        NOT NULL,
    phase_id     text        NOT NULL,
    subject_type text        NOT NULL,
    subject_id   text        NOT NULL,
    revision     integer     NOT NULL,
    criteria     jsonb       NOT NULL DEFAULT '[]',
    total        double precision,
    abstain      boolean     NOT NULL DEFAULT false,
    scored_at    timestamptz NOT NULL,
    PRIMARY KEY (judge_id, phase_id, subject_id, revision)
);
CREATE INDEX IF NOT EXISTS scores_subject ON scores (phase_id, subject_id);

-- Conflicts of interest declared by judges themselves.
CREATE TABLE IF NOT EXISTS conflicts (
    judge_id    text        NOT NULL,
    phase_id    text        NOT NULL,
    subject_id  text        NOT NULL,
    reason      text        NOT NULL DEFAULT '',
    declared_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (judge_id, phase_id, subject_id)
);

-- Optional explicit assignments; a judge without rows for a phase judges everything (all-to-all).
CREATE TABLE IF NOT EXISTS assignments (
    judge_id   text NOT NULL,
    phase_id   text NOT NULL,
    subject_id text NOT NULL,
    PRIMARY KEY (judge_id, phase_id, subject_id)
);

-- Head judge's requests to review an outlier score.
CREATE TABLE IF NOT EXISTS review_flags (
    id          bigserial PRIMARY KEY,
    phase_id    text        NOT NULL,
    subject_id  text        NOT NULL,
    judge_id    text        NOT NULL,
    flagged_by  text        NOT NULL,
    note        text        NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    resolved_at timestamptz
);
CREATE UNIQUE INDEX IF NOT EXISTS review_flags_open ON review_flags (phase_id, subject_id, judge_id)
    WHERE resolved_at IS NULL;

-- Quiz essays waiting for grading; the author's identity is deliberately not stored.
CREATE TABLE IF NOT EXISTS essays (
    attempt_id  text PRIMARY KEY,
    contest_id  text        NOT NULL,
    phase_id    text        NOT NULL,
    round_id    text        NOT NULL,
    question_id text        NOT NULL,
    text        text        NOT NULL,
    submitted_at timestamptz NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);

-- Stage final: finalists in running order; at most one open for scoring.
CREATE TABLE IF NOT EXISTS stage_finalists (
    initiative_id text PRIMARY KEY,
    position      integer     NOT NULL,
    scoring_open  boolean     NOT NULL DEFAULT false,
    opened_at     timestamptz,
    closed_at     timestamptz
);
CREATE TABLE IF NOT EXISTS stage_state (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    current_id text
);
INSERT INTO stage_state (singleton, current_id) VALUES (true, NULL) ON CONFLICT DO NOTHING;
