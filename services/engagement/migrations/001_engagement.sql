-- Engagement: platforms, catalogue, mappings, de-duplication, state, quarantine, audit.
CREATE TABLE IF NOT EXISTS platforms (
    id               text PRIMARY KEY,
    name             text        NOT NULL,
    secrets          text[]      NOT NULL DEFAULT '{}',
    allowed_actions  text[]      NOT NULL,
    rate_per_second  double precision NOT NULL,
    burst            integer     NOT NULL,
    actor_per_minute integer     NOT NULL,
    updated_at       timestamptz NOT NULL DEFAULT now()
);
-- The district portal's own like button: no webhook secrets, likes only.
INSERT INTO platforms (id, name, allowed_actions, rate_per_second, burst, actor_per_minute)
VALUES ('portal', 'Cổng thông tin điện tử huyện', '{like,unlike}', 1000, 10000, 30)
ON CONFLICT (id) DO NOTHING;

CREATE TABLE IF NOT EXISTS contents (
    content_id text PRIMARY KEY,
    title      text        NOT NULL,
    status     text        NOT NULL,
    version    integer     NOT NULL,
    changed_at timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS mappings (
    platform    text NOT NULL,
    content_ref text NOT NULL,
    content_id  text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (platform, content_ref)
);

CREATE TABLE IF NOT EXISTS webhook_deliveries (
    platform    text NOT NULL,
    webhook_id  text NOT NULL,
    n_events    integer NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (platform, webhook_id)
);

CREATE TABLE IF NOT EXISTS ingested_events (
    platform        text NOT NULL,
    source_event_id text NOT NULL,
    PRIMARY KEY (platform, source_event_id)
);

CREATE TABLE IF NOT EXISTS pending_events (
    id              bigserial PRIMARY KEY,
    platform        text NOT NULL,
    content_ref     text NOT NULL,
    actor           text NOT NULL,
    action          text NOT NULL,
    occurred_at     timestamptz NOT NULL,
    source_event_id text NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS pending_by_ref ON pending_events (platform, content_ref);
CREATE INDEX IF NOT EXISTS pending_by_ref_only ON pending_events (content_ref);

CREATE TABLE IF NOT EXISTS likes (
    platform   text NOT NULL,
    actor      text NOT NULL,
    content_id text NOT NULL,
    liked      boolean NOT NULL,
    changed_at timestamptz,
    PRIMARY KEY (platform, actor, content_id)
);

CREATE TABLE IF NOT EXISTS action_counts (
    platform   text NOT NULL,
    actor      text NOT NULL,
    content_id text NOT NULL,
    action     text NOT NULL,
    day        date NOT NULL,
    n          integer NOT NULL,
    PRIMARY KEY (platform, actor, content_id, action, day)
);

CREATE TABLE IF NOT EXISTS content_actors (
    content_id    text NOT NULL,
    platform      text NOT NULL,
    actor         text NOT NULL,
    status        text NOT NULL,  -- ok | held | rejected
    first_seen_at timestamptz NOT NULL,
    PRIMARY KEY (content_id, platform, actor)
);
CREATE INDEX IF NOT EXISTS content_actors_recent ON content_actors (content_id, first_seen_at);

CREATE TABLE IF NOT EXISTS content_stats (
    content_id text PRIMARY KEY,
    likes      integer NOT NULL DEFAULT 0,
    shares     integer NOT NULL DEFAULT 0,
    comments   integer NOT NULL DEFAULT 0,
    views      integer NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS quarantine (
    id              bigserial PRIMARY KEY,
    content_id      text NOT NULL,
    platform        text NOT NULL,
    actor           text NOT NULL,
    action          text NOT NULL,
    occurred_at     timestamptz NOT NULL,
    source_event_id text NOT NULL,
    status          text NOT NULL DEFAULT 'held',  -- held | released | rejected
    created_at      timestamptz NOT NULL DEFAULT now(),
    decided_at      timestamptz
);
CREATE INDEX IF NOT EXISTS quarantine_held ON quarantine (content_id) WHERE status = 'held';

CREATE TABLE IF NOT EXISTS audit_log (
    id      bigserial PRIMARY KEY,
    at      timestamptz NOT NULL DEFAULT now(),
    actor   text NOT NULL,   -- 'system' or 'admin'
    action  text NOT NULL,
    target  text NOT NULL,
    details jsonb NOT NULL DEFAULT '{}'
);
