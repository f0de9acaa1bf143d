-- Extra Kafka headers for a row (e.g. a dead letter's error and source), so a consumer can
-- dead-letter a message in the same transaction that records it as processed. NULL for events.
ALTER TABLE outbox ADD COLUMN IF NOT EXISTS headers jsonb;
