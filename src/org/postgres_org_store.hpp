#pragma once
// The organisation store in PostgreSQL ([store] backend = "postgres"): the
// same tables as org/sqlite_org_store (sy_keys, sy_teams, sy_audit,
// sy_changes; postgres/pg_schema), one database for every replica. A change
// is one statement (the row, its audit row and the change counter together)
// that also NOTIFYs sy_changes; every replica LISTENs on a connection of its
// own and re-reads at once (wait_change), and reads the counter every
// poll_ms besides (a notification missed while reconnecting). Statements run
// on the gateway's io_context (postgres/pg_connection), never blocking it.
#include <switchyard/config.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>
#include <string>

#include "org/org_store.hpp"

namespace switchyard::postgres {
class PgConnection;
}

namespace switchyard::org {

class PostgresOrgStore final : public OrgStore {
 public:
  // Migrates the schema (blocking: startup). Throws std::runtime_error when the database cannot be reached.
  PostgresOrgStore(boost::asio::any_io_executor ex, const StoreConfig& config);
  ~PostgresOrgStore() override;

  result<Snapshot> load_now() override;
  boost::asio::awaitable<result<Snapshot>> load() override;
  boost::asio::awaitable<result<std::int64_t>> version() override;
  boost::asio::awaitable<result<void>> put_key(ManagedKey key, AuditEntry audit) override;
  boost::asio::awaitable<result<void>> put_team(ManagedTeam team, AuditEntry audit) override;
  boost::asio::awaitable<result<void>> delete_team(std::string name, AuditEntry audit) override;
  boost::asio::awaitable<result<std::vector<AuditEntry>>> audit_log(std::size_t limit) override;
  boost::asio::awaitable<void> wait_change(std::chrono::milliseconds max) override;
  void stop() override;

 private:
  boost::asio::awaitable<result<void>> write(std::string row_sql, std::vector<std::string> params, const AuditEntry& audit);
  boost::asio::any_io_executor ex_;
  StoreConfig config_;
  std::shared_ptr<postgres::PgConnection> db_;      // statements
  std::shared_ptr<postgres::PgConnection> listen_;  // LISTEN sy_changes
  std::shared_ptr<boost::asio::steady_timer> pause_;  // wait_change while the database is away
  bool stopped_ = false;
};

}  // namespace switchyard::org
