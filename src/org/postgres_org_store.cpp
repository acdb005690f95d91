#include "org/postgres_org_store.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <stdexcept>

#include "postgres/pg_connection.hpp"
#include "postgres/pg_schema.hpp"

namespace switchyard::org {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {
constexpr std::chrono::milliseconds kStatementTimeout{5000};

// Keys, teams and the version in one statement (one snapshot of the database).
constexpr const char* kLoad =
    "SELECT 'k', doc FROM sy_keys UNION ALL SELECT 't', doc FROM sy_teams UNION ALL SELECT 'v', version::text FROM sy_changes";

result<Snapshot> snapshot_from(const postgres::PgRows& rows) {
  Snapshot out;
  for (std::size_t i = 0; i < rows.rows(); ++i) {
    const auto kind = rows.text(i, 0);
    if (kind == "v") {
      out.version = rows.integer(i, 1);
      continue;
    }
    if (auto added = add_stored_row(out, kind == "k", rows.text(i, 1), kind == "k" ? "sy_keys" : "sy_teams"); !added) return added.error();
  }
  return out;
}
}  // namespace

PostgresOrgStore::PostgresOrgStore(asio::any_io_executor ex, const StoreConfig& config)
    : ex_(std::move(ex)), config_(config),
      db_(std::make_shared<postgres::PgConnection>(ex_, config.postgres_url, config.connect_timeout, kStatementTimeout)),
      listen_(std::make_shared<postgres::PgConnection>(ex_, config.postgres_url, config.connect_timeout, kStatementTimeout)),
      pause_(std::make_shared<asio::steady_timer>(ex_)) {
  if (auto done = postgres::migrate_blocking(config.postgres_url, config.connect_timeout); !done) {
    throw std::runtime_error("[store] " + done.error().message);
  }
}

PostgresOrgStore::~PostgresOrgStore() { stop(); }

void PostgresOrgStore::stop() {
  stopped_ = true;
  pause_->cancel();
  db_->close();
  listen_->close();
}

result<Snapshot> PostgresOrgStore::load_now() {
  auto rows = postgres::query_blocking(config_.postgres_url, kLoad, {}, config_.connect_timeout);
  if (!rows) return rows.error();
  return snapshot_from(*rows);
}

asio::awaitable<result<Snapshot>> PostgresOrgStore::load() {
  auto rows = co_await db_->query(kLoad);
  if (!rows) co_return rows.error();
  co_return snapshot_from(*rows);
}

asio::awaitable<result<std::int64_t>> PostgresOrgStore::version() {
  auto rows = co_await db_->query("SELECT version FROM sy_changes");
  if (!rows) co_return rows.error();
  co_return rows->integer(0, 0);
}

// The row's change, its audit row, the counter and the notification: one statement, one transaction.
asio::awaitable<result<void>> PostgresOrgStore::write(std::string row_sql, std::vector<std::string> params, const AuditEntry& audit) {
  const auto n = params.size();
  params.push_back(std::to_string(audit.time_ms));
  params.push_back(json::serialize(audit_json(audit)));
  std::string sql = "WITH r AS (" + row_sql + " RETURNING 1), a AS (INSERT INTO sy_audit(time_ms, doc) VALUES($" + std::to_string(n + 1) +
                    "::bigint, $" + std::to_string(n + 2) +
                    ") RETURNING 1), v AS (UPDATE sy_changes SET version = version + 1 RETURNING version)"
                    " SELECT pg_notify('" + postgres::kChangeChannel + "', (SELECT version FROM v)::text), (SELECT COUNT(*) FROM r), (SELECT COUNT(*) FROM a)";
  auto done = co_await db_->query(std::move(sql), std::move(params));
  if (!done) co_return make_error(errc::unavailable, "the key store: " + done.error().message);
  co_return result<void>{};
}

asio::awaitable<result<void>> PostgresOrgStore::put_key(ManagedKey key, AuditEntry audit) {
  std::vector<std::string> params{key.name, json::serialize(key_document(key)), std::to_string(audit.time_ms)};
  std::string sql =
      "INSERT INTO sy_keys(name, doc, updated_ms) VALUES($1, $2, $3::bigint) ON CONFLICT(name) DO UPDATE SET doc = excluded.doc, updated_ms = excluded.updated_ms";
  co_return co_await write(std::move(sql), std::move(params), audit);
}

asio::awaitable<result<void>> PostgresOrgStore::put_team(ManagedTeam team, AuditEntry audit) {
  std::vector<std::string> params{team.config.name, json::serialize(team_document(team)), std::to_string(audit.time_ms)};
  std::string sql =
      "INSERT INTO sy_teams(name, doc, updated_ms) VALUES($1, $2, $3::bigint) ON CONFLICT(name) DO UPDATE SET doc = excluded.doc, updated_ms = excluded.updated_ms";
  co_return co_await write(std::move(sql), std::move(params), audit);
}

asio::awaitable<result<void>> PostgresOrgStore::delete_team(std::string name, AuditEntry audit) {
  std::vector<std::string> params{std::move(name)};
  std::string sql = "DELETE FROM sy_teams WHERE name = $1";
  co_return co_await write(std::move(sql), std::move(params), audit);
}

asio::awaitable<result<std::vector<AuditEntry>>> PostgresOrgStore::audit_log(std::size_t limit) {
  postgres::Params params{std::to_string(limit)};
  auto rows = co_await db_->query("SELECT doc FROM sy_audit ORDER BY time_ms DESC, id DESC LIMIT $1::bigint", std::move(params));
  if (!rows) co_return rows.error();
  std::vector<AuditEntry> out;
  for (std::size_t i = 0; i < rows->rows(); ++i) {
    boost::system::error_code ec;
    auto doc = json::parse(rows->text(i, 0), ec);
    if (ec || !doc.is_object()) continue;
    if (auto e = audit_from_json(doc.as_object())) out.push_back(std::move(*e));
  }
  co_return out;
}

// Until a NOTIFY on sy_changes (another replica's change, or our own), or `max`.
// Nothing of the store is touched after a wait: stop() ends it, and the store may be gone then.
asio::awaitable<void> PostgresOrgStore::wait_change(std::chrono::milliseconds max) {
  if (stopped_) co_return;
  auto listener = listen_;
  auto pause = pause_;
  if (!listener->connected()) {
    const std::string listen_sql = std::string("LISTEN ") + postgres::kChangeChannel;
    auto listening = co_await listener->query(listen_sql);
    if (!listening) {  // the database is away: wait as a poll would (the caller reads the version next)
      pause->expires_after(max);
      co_await pause->async_wait(asio::as_tuple(asio::use_awaitable));
      co_return;
    }
  }
  (void)co_await listener->wait_notification(max);
}

}  // namespace switchyard::org
