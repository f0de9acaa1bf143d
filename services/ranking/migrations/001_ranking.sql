-- Source facts of the ranking service; every board is derived from them (and rebuilt from them).
CREATE TABLE IF NOT EXISTS attempts (
    attempt_id     text PRIMARY KEY,
    participant_id text NOT NULL,
    display_name   text NOT NULL,
    unit_id        text NOT NULL,
    phase_id       text NOT NULL,
    round_id       text NOT NULL,
    submitted_at   timestamptz NOT NULL,
    duration_ms    bigint NOT NULL,
    correct        int NOT NULL,
    total          int NOT NULL,
    score          double precision NOT NULL,
    prediction     double precision
);

-- Each judge's latest total per (phase, subject): the highest revision wins.
CREATE TABLE IF NOT EXISTS judge_totals (
    phase_id     text NOT NULL,
    subject_type text NOT NULL,
    subject_id   text NOT NULL,
    judge_id     text NOT NULL,
    revision     int NOT NULL,
    total        double precision NOT NULL,
    PRIMARY KEY (phase_id, subject_type, subject_id, judge_id)
);

-- Net engagement per (content, platform, actor): the latest like/unlike wins, other actions count.
CREATE TABLE IF NOT EXISTS engagement_actors (
    content_id text NOT NULL,
    platform   text NOT NULL,
    actor_id   text NOT NULL,
    like_at    timestamptz,
    like_src   text NOT NULL DEFAULT '',
    liked      boolean NOT NULL DEFAULT false,
    shares     int NOT NULL DEFAULT 0,
    comments   int NOT NULL DEFAULT 0,
    views      int NOT NULL DEFAULT 0,
    PRIMARY KEY (content_id, platform, actor_id)
);

CREATE TABLE IF NOT EXISTS initiative_meta (
    initiative_id text PRIMARY KEY,
    phase_id      text NOT NULL,
    title         text NOT NULL,
    unit_id       text NOT NULL,
    field         text NOT NULL,
    status        text NOT NULL,
    version       int NOT NULL
);

-- Organizer state (not derivable from the topics; kept by a rebuild).
CREATE TABLE IF NOT EXISTS prediction_references (
    round_id text PRIMARY KEY,
    value    double precision NOT NULL,
    set_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS board_freezes (
    board_id  text PRIMARY KEY,
    frozen_at timestamptz NOT NULL,
    entries   jsonb NOT NULL
);
