#pragma once
// The keys and teams made at run time: the admin API's actions, sans-HTTP.
// An action is checked (fields, names free, the configuration it makes
// valid), written to the store with its audit row, then applied: the
// gateway's running configuration becomes the file's keys and teams plus the
// store's (`Apply`), on every reactor, before the action answers. A name in
// the file is the file's: the API refuses it (409) and cannot change it.
// Another replica's change (the store's version moved) is picked up by
// refresh(). Runs on the gateway's main reactor.
#include <switchyard/config.hpp>
#include <switchyard/error.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <functional>
#include <memory>
#include <string>

#include "org/org_store.hpp"
#include "sync/async_turns.hpp"

namespace switchyard::org {

// The running configuration made of the file's and the store's keys and teams. A store key
// or team whose name the file has is left out (the file's wins), as are revoked keys.
Config merge(const Config& file, const Snapshot& store);

struct Actor {
  std::string who;      // "admin-key" or "jwt:<subject>"
  std::string address;  // the client's IP address
};

class Organisation {
 public:
  using Clock = std::function<std::int64_t()>;  // milliseconds since the epoch
  // Installs a merged configuration (Gateway's reload of it); an error when it cannot run.
  using Apply = std::function<result<void>(Config)>;
  // The running status of a key or team by name ({budget: {spent_usd...}, limits, spend_usd}), or an empty object.
  using Status = std::function<boost::json::object(std::string_view kind, std::string_view name)>;

  Organisation(boost::asio::any_io_executor ex, std::unique_ptr<OrgStore> store, Clock now);
  ~Organisation();

  // The file's configuration (at start and after each reload): what the store's entries join.
  void set_file(const Config& file) { file_ = file; }
  const Config& file() const noexcept { return file_; }
  // The store's content, read at start (OrgStore::load_now).
  void adopt(Snapshot snapshot) { snapshot_ = std::move(snapshot); }
  void set_apply(Apply apply, Status status) {
    apply_ = std::move(apply);
    status_ = std::move(status);
  }
  // Reads the store (at start): nullopt, or why it cannot be read.
  boost::asio::awaitable<result<void>> load();
  // The store changed elsewhere (another replica): re-read and apply; false when nothing changed.
  boost::asio::awaitable<result<bool>> refresh();
  Config merged() const { return merge(file_, snapshot_); }
  // Until the store may have changed (a notification from PostgreSQL) or `max` (see OrgStore).
  boost::asio::awaitable<void> wait_change(std::chrono::milliseconds max) { return store_->wait_change(max); }
  void stop() { store_->stop(); }
  const Snapshot& snapshot() const noexcept { return snapshot_; }

  // POST /admin/keys: 201 {the key's view, "key": the secret (shown once)}.
  boost::asio::awaitable<result<boost::json::object>> create_key(boost::json::object body, Actor actor);
  boost::asio::awaitable<result<boost::json::object>> update_key(std::string name, boost::json::object body, Actor actor);
  boost::asio::awaitable<result<boost::json::object>> revoke_key(std::string name, Actor actor);
  boost::asio::awaitable<result<boost::json::object>> rotate_key(std::string name, boost::json::object body, Actor actor);
  result<boost::json::object> key(std::string_view name) const;
  boost::json::array keys() const;

  boost::asio::awaitable<result<boost::json::object>> create_team(boost::json::object body, Actor actor);
  boost::asio::awaitable<result<boost::json::object>> update_team(std::string name, boost::json::object body, Actor actor);
  boost::asio::awaitable<result<boost::json::object>> delete_team(std::string name, Actor actor);
  result<boost::json::object> team(std::string_view name) const;
  boost::json::array teams() const;

  boost::asio::awaitable<result<boost::json::array>> audit(std::size_t limit);

 private:
  boost::asio::awaitable<result<void>> commit_key(ManagedKey key, AuditEntry audit);
  boost::asio::awaitable<result<void>> commit_team(ManagedTeam team, AuditEntry audit, bool erase);
  result<void> check(const Snapshot& next) const;  // the configuration `next` makes can run
  result<void> install();
  boost::json::object key_view(const ManagedKey& key) const;
  boost::json::object team_view(const TeamConfig& team, std::int64_t created_ms, bool from_file) const;
  ManagedKey* find_key(std::string_view name);
  ManagedTeam* find_team(std::string_view name);
  bool file_has_key(std::string_view name) const;
  bool file_has_team(std::string_view name) const;
  AuditEntry audit_of(const Actor& actor, std::string action, std::string target, boost::json::object detail) const;

  std::unique_ptr<OrgStore> store_;
  Clock now_;
  Config file_;
  Snapshot snapshot_;
  Apply apply_;
  Status status_;
  sync::AsyncTurns turns_;  // one change at a time (a store in PostgreSQL answers later)
};

}  // namespace switchyard::org
