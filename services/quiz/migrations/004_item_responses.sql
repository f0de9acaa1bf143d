-- Item analysis: one row per (attempt, served question) with the option chosen, for the organizers'
-- dashboard (share correct per question, options nobody chooses).
--
-- Filled by a trigger on the outbox, from the answer-submitted event itself: whatever closes an
-- attempt (the participant's submit, or the server closing an overdue attempt with its saved
-- answers) stores that event in the same transaction, so the analysis counts exactly the attempts
-- the rest of the platform was told about, once each, with no second write path to keep in step.
CREATE TABLE IF NOT EXISTS item_responses (
    attempt_id   text        NOT NULL,
    question_id  text        NOT NULL,
    round_id     text        NOT NULL,
    option_key   text,                 -- NULL: left blank
    correct      boolean     NOT NULL,
    submitted_at timestamptz NOT NULL,
    PRIMARY KEY (attempt_id, question_id)
);
CREATE INDEX IF NOT EXISTS item_responses_by_question ON item_responses (question_id, round_id);

CREATE OR REPLACE FUNCTION record_item_responses() RETURNS trigger LANGUAGE plpgsql
    SET search_path FROM CURRENT AS $$  -- the schema it was created in, whoever inserts
DECLARE
    ev jsonb := convert_from(NEW.payload, 'UTF8')::jsonb;
BEGIN
    IF ev->>'type' = 'contest.answer-submitted.v1' THEN
        INSERT INTO item_responses (attempt_id, question_id, round_id, option_key, correct, submitted_at)
        SELECT ev->'data'->>'attempt_id', a->>'question_id', ev->'data'->>'round_id', a->>'option_key',
               (a->>'correct')::boolean, (ev->'data'->>'submitted_at')::timestamptz
        FROM jsonb_array_elements(ev->'data'->'answers') AS a
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS record_item_responses ON outbox;
CREATE TRIGGER record_item_responses AFTER INSERT ON outbox FOR EACH ROW
    WHEN (NEW.headers IS NULL) EXECUTE FUNCTION record_item_responses();

-- Attempts submitted before this migration whose events are still in the outbox.
INSERT INTO item_responses (attempt_id, question_id, round_id, option_key, correct, submitted_at)
SELECT e->'data'->>'attempt_id', a->>'question_id', e->'data'->>'round_id', a->>'option_key',
       (a->>'correct')::boolean, (e->'data'->>'submitted_at')::timestamptz
FROM (SELECT convert_from(payload, 'UTF8')::jsonb AS e FROM outbox WHERE headers IS NULL) AS o,
     jsonb_array_elements(o.e->'data'->'answers') AS a
WHERE o.e->>'type' = 'contest.answer-submitted.v1'
ON CONFLICT DO NOTHING;
