-- Official results: organizers' decisions on ties at a prize boundary, and published snapshots.
CREATE TABLE IF NOT EXISTS result_decisions (
    id          bigserial PRIMARY KEY,
    board_id    text        NOT NULL,
    entrant_ids jsonb       NOT NULL, -- the tie group, best first
    reason      text        NOT NULL,
    decided_by  text        NOT NULL,
    decided_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX IF NOT EXISTS result_decisions_board ON result_decisions (board_id, id);

-- One published snapshot per board, never changed: `content` is the canonical JSON the hash is over.
CREATE TABLE IF NOT EXISTS published_results (
    snapshot_id  text PRIMARY KEY,
    board_id     text        NOT NULL UNIQUE,
    content      text        NOT NULL,
    sha256       text        NOT NULL,
    published_by text        NOT NULL,
    published_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE IF NOT EXISTS certificates (
    code        text PRIMARY KEY,
    snapshot_id text NOT NULL REFERENCES published_results (snapshot_id),
    entrant_id  text NOT NULL,
    UNIQUE (snapshot_id, entrant_id)
);

-- Published results and their certificates are immutable: the database refuses to change them.
CREATE OR REPLACE FUNCTION results_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'published results are immutable (% on %)', TG_OP, TG_TABLE_NAME;
END $$;
DROP TRIGGER IF EXISTS published_results_immutable ON published_results;
CREATE TRIGGER published_results_immutable BEFORE UPDATE OR DELETE ON published_results
    FOR EACH ROW EXECUTE FUNCTION results_immutable();
DROP TRIGGER IF EXISTS certificates_immutable ON certificates;
CREATE TRIGGER certificates_immutable BEFORE UPDATE OR DELETE ON certificates
    FOR EACH ROW EXECUTE FUNCTION results_immutable();
