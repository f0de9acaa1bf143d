-- Equal-time like/unlike pairs: the higher source_event_id wins, the order ranking merges by.
ALTER TABLE likes ADD COLUMN IF NOT EXISTS changed_src text NOT NULL DEFAULT '';
