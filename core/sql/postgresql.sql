-- The call log of LoggingLLM in PostgreSQL, shared by many processes. majordomo runs this, in one
-- transaction, when it opens a postgresql:// target; by hand: psql -1 -f core/sql/postgresql.sql.
-- Columns only ever grow. Text columns are '' when they do not apply; costs are NULL when unpriced.
-- The advisory lock lets several processes start at once without racing on CREATE.
SELECT pg_advisory_xact_lock(7342105601);
CREATE TABLE IF NOT EXISTS majordomo_calls (
  id BIGSERIAL PRIMARY KEY,
  request_id TEXT NOT NULL UNIQUE,
  created_at TIMESTAMPTZ NOT NULL,
  provider TEXT NOT NULL,
  model TEXT NOT NULL,
  served_by TEXT NOT NULL,
  response_model TEXT NOT NULL,
  alias TEXT NOT NULL,
  operation TEXT NOT NULL,
  format TEXT NOT NULL,
  status TEXT NOT NULL,
  error_kind TEXT NOT NULL,
  error_message TEXT NOT NULL,
  http_status BIGINT NOT NULL,
  response_time_s DOUBLE PRECISION NOT NULL,
  input_tokens BIGINT NOT NULL,
  output_tokens BIGINT NOT NULL,
  cached_tokens BIGINT NOT NULL,
  cache_write_tokens BIGINT NOT NULL,
  reasoning_tokens BIGINT NOT NULL,
  input_cost DOUBLE PRECISION,
  output_cost DOUBLE PRECISION,
  total_cost DOUBLE PRECISION,
  stop_reason TEXT NOT NULL,
  attempts BIGINT NOT NULL,
  failed_attempt_count BIGINT NOT NULL,
  failed_attempts JSONB NOT NULL,
  warnings JSONB NOT NULL,
  api_key_hash TEXT NOT NULL,
  metadata JSONB NOT NULL,
  request_body_key TEXT NOT NULL,
  response_body_key TEXT NOT NULL,
  provider_request_id TEXT NOT NULL,
  tool_calls JSONB NOT NULL DEFAULT '[]',
  request_extras JSONB NOT NULL DEFAULT '{}'
);
-- Added in 0.5: a table made by an older majordomo grows them here. majordomo runs these only when
-- the column is missing (ALTER TABLE locks the table before it looks).
ALTER TABLE majordomo_calls ADD COLUMN IF NOT EXISTS tool_calls JSONB NOT NULL DEFAULT '[]';
ALTER TABLE majordomo_calls ADD COLUMN IF NOT EXISTS request_extras JSONB NOT NULL DEFAULT '{}';
CREATE INDEX IF NOT EXISTS majordomo_calls_created_at ON majordomo_calls (created_at);
