#pragma once
// The organisation store in SQLite: tables sy_keys, sy_teams (a JSON
// document per row) and sy_audit in the usage ledger's file (or in memory,
// when the ledger is: lost at exit). Calls run on the caller's thread; they
// are admin actions on a local file (a few hundred microseconds), never on a
// request's path.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>
#include <string>

#include "org/org_store.hpp"

struct sqlite3;

namespace switchyard::org {

class SqliteOrgStore final : public OrgStore {
 public:
  // Opens (creates) `path` ("" = in memory) and migrates its schema. Throws std::runtime_error (startup).
  SqliteOrgStore(boost::asio::any_io_executor ex, const std::string& path);
  ~SqliteOrgStore() override;

  result<Snapshot> load_now() override;
  boost::asio::awaitable<result<Snapshot>> load() override { co_return load_now(); }
  boost::asio::awaitable<result<std::int64_t>> version() override;
  boost::asio::awaitable<result<void>> put_key(ManagedKey key, AuditEntry audit) override;
  boost::asio::awaitable<result<void>> put_team(ManagedTeam team, AuditEntry audit) override;
  boost::asio::awaitable<result<void>> delete_team(std::string name, AuditEntry audit) override;
  boost::asio::awaitable<result<std::vector<AuditEntry>>> audit_log(std::size_t limit) override;
  // SQLite has no notifications: another process's change is seen by reading the version every `max`.
  boost::asio::awaitable<void> wait_change(std::chrono::milliseconds max) override;
  void stop() override { pause_->cancel(); }

 private:
  result<std::int64_t> read_version();
  result<void> write(const char* sql, const std::string& name, const std::string& doc, const AuditEntry& audit);
  sqlite3* db_ = nullptr;
  std::shared_ptr<boost::asio::steady_timer> pause_;
};

}  // namespace switchyard::org
