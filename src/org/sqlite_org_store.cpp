#include "org/sqlite_org_store.hpp"

#include <sqlite3.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <filesystem>
#include <stdexcept>

namespace switchyard::org {

namespace json = boost::json;

namespace {
// Versioned migrations: the Nth runs once, when the file's version is below N.
constexpr const char* kMigrations[] = {
    "CREATE TABLE sy_keys(name TEXT PRIMARY KEY, doc TEXT NOT NULL, updated_ms INTEGER NOT NULL);"
    "CREATE TABLE sy_teams(name TEXT PRIMARY KEY, doc TEXT NOT NULL, updated_ms INTEGER NOT NULL);"
    "CREATE TABLE sy_audit(time_ms INTEGER NOT NULL, doc TEXT NOT NULL);"
    "CREATE INDEX sy_audit_time ON sy_audit(time_ms);"
    "CREATE TABLE sy_changes(version INTEGER NOT NULL);"
    "INSERT INTO sy_changes(version) VALUES(0);",
};

struct Statement {
  sqlite3_stmt* st = nullptr;
  Statement(sqlite3* db, const char* sql) {
    if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) != SQLITE_OK) st = nullptr;
  }
  ~Statement() { sqlite3_finalize(st); }
  void text(int col, const std::string& v) { sqlite3_bind_text(st, col, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT); }
};

Error failure(sqlite3* db, const std::string& what) {
  return make_error(errc::unavailable, "the key store: " + what + ": " + sqlite3_errmsg(db));
}

void exec_or_throw(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string message = err ? err : "unknown error";
    sqlite3_free(err);
    throw std::runtime_error("key store: " + message);
  }
}
}  // namespace

SqliteOrgStore::SqliteOrgStore(boost::asio::any_io_executor ex, const std::string& path) : pause_(std::make_shared<boost::asio::steady_timer>(ex)) {
  if (!path.empty()) {
    std::error_code ec;
    const auto dir = std::filesystem::path(path).parent_path();
    if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  }
  const std::string file = path.empty() ? ":memory:" : path;
  if (sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    const std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    throw std::runtime_error("key store: cannot open " + file + ": " + why);
  }
  sqlite3_busy_timeout(db_, 2'000);  // the ledger's writer holds the file's write lock for a batch at a time
  exec_or_throw(db_, "PRAGMA journal_mode=WAL; CREATE TABLE IF NOT EXISTS sy_schema(version INTEGER NOT NULL);");
  int version = 0;
  {
    Statement st(db_, "SELECT MAX(version) FROM sy_schema");
    if (st.st && sqlite3_step(st.st) == SQLITE_ROW) version = sqlite3_column_int(st.st, 0);
  }
  const int latest = static_cast<int>(std::size(kMigrations));
  if (version > latest) throw std::runtime_error("key store: " + file + " has schema version " + std::to_string(version) + ", newer than this Switchyard's");
  for (int v = version; v < latest; ++v) {
    exec_or_throw(db_, "BEGIN IMMEDIATE");
    try {
      exec_or_throw(db_, kMigrations[v]);
      exec_or_throw(db_, ("INSERT INTO sy_schema(version) VALUES(" + std::to_string(v + 1) + ")").c_str());
      exec_or_throw(db_, "COMMIT");
    } catch (...) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
  }
}

SqliteOrgStore::~SqliteOrgStore() { sqlite3_close(db_); }

result<Snapshot> SqliteOrgStore::load_now() {
  Snapshot out;
  for (const char* table : {"sy_keys", "sy_teams"}) {
    Statement st(db_, table == std::string_view("sy_keys") ? "SELECT doc FROM sy_keys ORDER BY name" : "SELECT doc FROM sy_teams ORDER BY name");
    if (!st.st) return failure(db_, "reading");
    int rc = 0;
    while ((rc = sqlite3_step(st.st)) == SQLITE_ROW) {
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(st.st, 0));
      if (auto added = add_stored_row(out, table == std::string_view("sy_keys"), text ? text : "", table); !added) return added.error();
    }
    if (rc != SQLITE_DONE) return failure(db_, "reading");
  }
  auto v = read_version();
  if (!v) return v.error();
  out.version = *v;
  return out;
}

result<std::int64_t> SqliteOrgStore::read_version() {
  Statement st(db_, "SELECT version FROM sy_changes");
  if (!st.st || sqlite3_step(st.st) != SQLITE_ROW) return failure(db_, "reading");
  return static_cast<std::int64_t>(sqlite3_column_int64(st.st, 0));
}

boost::asio::awaitable<result<std::int64_t>> SqliteOrgStore::version() { co_return read_version(); }

boost::asio::awaitable<void> SqliteOrgStore::wait_change(std::chrono::milliseconds max) {
  auto pause = pause_;  // (the store may be gone when the wait ends)
  pause->expires_after(max);
  co_await pause->async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
}

result<void> SqliteOrgStore::write(const char* sql, const std::string& name, const std::string& doc, const AuditEntry& audit) {
  if (sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) return failure(db_, "writing");
  auto rollback = [&](const char* what) {
    Error e = failure(db_, what);
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return e;
  };
  {
    Statement st(db_, sql);
    if (!st.st) return rollback("writing");
    st.text(1, name);
    if (!doc.empty()) {
      st.text(2, doc);
      sqlite3_bind_int64(st.st, 3, audit.time_ms);
    }
    if (sqlite3_step(st.st) != SQLITE_DONE) return rollback("writing");
  }
  {
    Statement st(db_, "INSERT INTO sy_audit(time_ms, doc) VALUES(?, ?)");
    if (!st.st) return rollback("writing the audit");
    sqlite3_bind_int64(st.st, 1, audit.time_ms);
    st.text(2, json::serialize(audit_json(audit)));
    if (sqlite3_step(st.st) != SQLITE_DONE) return rollback("writing the audit");
  }
  if (sqlite3_exec(db_, "UPDATE sy_changes SET version = version + 1", nullptr, nullptr, nullptr) != SQLITE_OK) return rollback("writing");
  if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) return rollback("committing");
  return {};
}

boost::asio::awaitable<result<void>> SqliteOrgStore::put_key(ManagedKey key, AuditEntry audit) {
  co_return write("INSERT INTO sy_keys(name, doc, updated_ms) VALUES(?, ?, ?) ON CONFLICT(name) DO UPDATE SET doc = excluded.doc, updated_ms = excluded.updated_ms",
                  key.name, json::serialize(key_document(key)), audit);
}

boost::asio::awaitable<result<void>> SqliteOrgStore::put_team(ManagedTeam team, AuditEntry audit) {
  co_return write("INSERT INTO sy_teams(name, doc, updated_ms) VALUES(?, ?, ?) ON CONFLICT(name) DO UPDATE SET doc = excluded.doc, updated_ms = excluded.updated_ms",
                  team.config.name, json::serialize(team_document(team)), audit);
}

boost::asio::awaitable<result<void>> SqliteOrgStore::delete_team(std::string name, AuditEntry audit) {
  co_return write("DELETE FROM sy_teams WHERE name = ?", name, {}, audit);
}

boost::asio::awaitable<result<std::vector<AuditEntry>>> SqliteOrgStore::audit_log(std::size_t limit) {
  std::vector<AuditEntry> out;
  Statement st(db_, "SELECT doc FROM sy_audit ORDER BY time_ms DESC, rowid DESC LIMIT ?");
  if (!st.st) co_return failure(db_, "reading the audit");
  sqlite3_bind_int64(st.st, 1, static_cast<sqlite3_int64>(limit));
  while (sqlite3_step(st.st) == SQLITE_ROW) {
    boost::system::error_code ec;
    auto doc = json::parse(reinterpret_cast<const char*>(sqlite3_column_text(st.st, 0)), ec);
    if (ec || !doc.is_object()) continue;
    if (auto e = audit_from_json(doc.as_object())) out.push_back(std::move(*e));
  }
  co_return out;
}

}  // namespace switchyard::org
