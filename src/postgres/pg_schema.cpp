#include "postgres/pg_schema.hpp"

#include "postgres/pg_connection.hpp"

namespace switchyard::postgres {

namespace {
// Migration N (1-based) is kMigrations[N - 1], run inside a DO block.
constexpr const char* kMigrations[] = {
    R"sql(
    CREATE TABLE sy_keys(name TEXT PRIMARY KEY, doc TEXT NOT NULL, updated_ms BIGINT NOT NULL);
    CREATE TABLE sy_teams(name TEXT PRIMARY KEY, doc TEXT NOT NULL, updated_ms BIGINT NOT NULL);
    CREATE TABLE sy_audit(id BIGSERIAL PRIMARY KEY, time_ms BIGINT NOT NULL, doc TEXT NOT NULL);
    CREATE INDEX sy_audit_time ON sy_audit(time_ms);
    CREATE TABLE sy_changes(version BIGINT NOT NULL);
    INSERT INTO sy_changes(version) VALUES(0);
    CREATE TABLE sy_usage(row_id TEXT PRIMARY KEY, time_ms BIGINT NOT NULL, request_id TEXT, key TEXT, route TEXT,
      provider TEXT, model TEXT, status INTEGER, stream BOOLEAN, prompt_tokens BIGINT, cached_tokens BIGINT,
      cache_write_tokens BIGINT, completion_tokens BIGINT, reasoning_tokens BIGINT, cost_usd DOUBLE PRECISION,
      latency_ms DOUBLE PRECISION, ttft_ms DOUBLE PRECISION, error TEXT, overhead_us DOUBLE PRECISION, cache TEXT,
      saved_usd DOUBLE PRECISION, team TEXT, end_user TEXT);
    CREATE INDEX sy_usage_time ON sy_usage(time_ms);
    CREATE INDEX sy_usage_key_time ON sy_usage(key, time_ms);
    )sql",
    // 2: the SLA report's failovers per request.
    R"sql(
    ALTER TABLE sy_usage ADD COLUMN failovers INTEGER;
    )sql",
};
static_assert(std::size(kMigrations) == kSchemaVersion);
}  // namespace

result<void> migrate_blocking(const std::string& url, std::chrono::milliseconds timeout) {
  std::string sql =
      "SET client_min_messages = warning; BEGIN; SELECT pg_advisory_xact_lock(7353001); CREATE TABLE IF NOT EXISTS sy_schema(version INTEGER NOT NULL);\n"
      "DO $migrate$ DECLARE v INTEGER; BEGIN\n"
      "SELECT COALESCE(MAX(version), 0) INTO v FROM sy_schema;\n"
      "IF v > " + std::to_string(kSchemaVersion) + " THEN RAISE EXCEPTION 'the database has schema version %, newer than this Switchyard''s (" +
      std::to_string(kSchemaVersion) + ")', v; END IF;\n";
  for (int n = 1; n <= kSchemaVersion; ++n) {
    sql += "IF v < " + std::to_string(n) + " THEN " + kMigrations[n - 1] + " INSERT INTO sy_schema(version) VALUES(" + std::to_string(n) + "); END IF;\n";
  }
  sql += "END $migrate$; COMMIT;";
  auto done = query_blocking(url, sql, {}, timeout);
  if (!done) return done.error();
  return {};
}

}  // namespace switchyard::postgres
