-- A staff token carries the account's token version; changing the password bumps it, so every
-- token issued before the change stops working at once (checked on each request).
ALTER TABLE staff ADD COLUMN IF NOT EXISTS token_version integer NOT NULL DEFAULT 1;
