#pragma once
// Where keys and teams made through the admin API, and the audit of admin
// actions, are kept: one interface, two backends (org/sqlite_org_store: one
// file, the default; org/postgres_org_store: one database for every
// replica). Each change is written with its audit row in one transaction.
// Schema versions are migrated by the store itself at open.
#include <switchyard/error.hpp>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "org/org_records.hpp"

namespace switchyard::org {

struct Snapshot {
  std::vector<ManagedKey> keys;    // revoked ones included (the API lists them)
  std::vector<ManagedTeam> teams;
  std::int64_t version = 0;        // grows with every change (another replica's included)
};

// Adds one stored row (a key's or a team's JSON document, from `table`) to `out`; a damaged row is an error.
result<void> add_stored_row(Snapshot& out, bool is_key, std::string_view document, std::string_view table);

class OrgStore {
 public:
  virtual ~OrgStore() = default;
  // Everything, read before the gateway serves (blocking: startup only).
  virtual result<Snapshot> load_now() = 0;
  virtual boost::asio::awaitable<result<Snapshot>> load() = 0;
  // The version only (cheap): a replica polls it to notice another's change.
  virtual boost::asio::awaitable<result<std::int64_t>> version() = 0;
  virtual boost::asio::awaitable<result<void>> put_key(ManagedKey key, AuditEntry audit) = 0;
  virtual boost::asio::awaitable<result<void>> put_team(ManagedTeam team, AuditEntry audit) = 0;
  virtual boost::asio::awaitable<result<void>> delete_team(std::string name, AuditEntry audit) = 0;
  // The newest `limit` audit rows, newest first.
  virtual boost::asio::awaitable<result<std::vector<AuditEntry>>> audit_log(std::size_t limit) = 0;
  // Returns when the store may have changed (another replica's notification) or after `max`;
  // at once after stop(). Touches nothing of the store once it waited (it may be gone by then).
  virtual boost::asio::awaitable<void> wait_change(std::chrono::milliseconds max) = 0;
  virtual void stop() = 0;  // ends every wait_change (shutting down)
};

}  // namespace switchyard::org
