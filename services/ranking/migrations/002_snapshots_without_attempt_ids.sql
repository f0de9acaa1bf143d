-- Public boards no longer name attempts (an attempt id is an essay's key at the judges'): drop
-- `details.attempt_id` from the snapshots of boards frozen before that change.
UPDATE board_freezes f
   SET entries = (SELECT coalesce(jsonb_agg(CASE WHEN jsonb_typeof(e -> 'details') = 'object'
                                                 THEN jsonb_set(e, '{details}', (e -> 'details') - 'attempt_id')
                                                 ELSE e END ORDER BY n), '[]'::jsonb)
                    FROM jsonb_array_elements(f.entries) WITH ORDINALITY AS t(e, n))
 WHERE jsonb_typeof(f.entries) = 'array' AND f.entries @? '$[*].details.attempt_id';
