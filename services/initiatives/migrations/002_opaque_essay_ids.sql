-- Judges know an essay by an opaque random id only. The attempt id is the key of its author's entry
-- on the public boards, so it stays in this table alone, read when a score is published
-- (`initiatives.judge-scored.v1` names the attempt, per the contract).
ALTER TABLE essays ADD COLUMN IF NOT EXISTS essay_id text NOT NULL DEFAULT gen_random_uuid()::text;
CREATE UNIQUE INDEX IF NOT EXISTS essays_essay_id ON essays (essay_id);

-- What judges already recorded about essays moves to the opaque id.
UPDATE scores s SET subject_id = e.essay_id FROM essays e
 WHERE s.subject_type = 'attempt' AND s.phase_id = e.phase_id AND s.subject_id = e.attempt_id;
UPDATE conflicts c SET subject_id = e.essay_id FROM essays e
 WHERE c.phase_id = e.phase_id AND c.subject_id = e.attempt_id;
UPDATE assignments a SET subject_id = e.essay_id FROM essays e
 WHERE a.phase_id = e.phase_id AND a.subject_id = e.attempt_id;
UPDATE review_flags f SET subject_id = e.essay_id FROM essays e
 WHERE f.phase_id = e.phase_id AND f.subject_id = e.attempt_id;
