#pragma once
// Keys and teams made through the admin API, as the store keeps them and the
// API shows them: a key is its name, team, models, limits, budget, metadata,
// times and the SHA-256 of its secret (the secret itself is shown once, at
// creation or rotation, and never kept). Also their JSON, which is the
// store's document and the API's body (the digest only in the store's).
#include <switchyard/config.hpp>
#include <switchyard/error.hpp>

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace switchyard::org {

struct ManagedKey {
  std::string name, team;
  std::vector<std::string> models;
  LimitsConfig limits;
  std::optional<BudgetConfig> budget;
  boost::json::object metadata;
  std::string sha256;           // 32 raw bytes
  std::string prefix;           // the secret's first characters, for people to tell keys apart ("sk-sy-AbC")
  std::int64_t created_ms = 0, expires_ms = 0, revoked_ms = 0;  // 0 = not
  std::string previous_sha256;  // after a rotation: the old secret's, valid until previous_until_ms
  std::int64_t previous_until_ms = 0;
  bool operator==(const ManagedKey&) const = default;
};

struct ManagedTeam {
  TeamConfig config;
  std::int64_t created_ms = 0;
  bool operator==(const ManagedTeam&) const = default;
};

// One admin action, as GET /admin/audit shows it.
struct AuditEntry {
  std::int64_t time_ms = 0;
  std::string actor;    // "admin-key", or a JWT's subject ("jwt:alice@example.com")
  std::string address;  // the client's IP address
  std::string action;   // "key.create", "key.update", "key.rotate", "key.revoke", "team.create", ...
  std::string target;   // the key's or team's name
  boost::json::object detail;  // what changed (never a secret)
};

boost::json::object limits_json(const LimitsConfig& limits);
boost::json::value budget_json(const std::optional<BudgetConfig>& budget);

// The store's documents (with the digests, hex), and back.
boost::json::object key_document(const ManagedKey& key);
result<ManagedKey> key_from_document(const boost::json::object& doc);
boost::json::object team_document(const ManagedTeam& team);
result<ManagedTeam> team_from_document(const boost::json::object& doc);
boost::json::object audit_json(const AuditEntry& entry);
result<AuditEntry> audit_from_json(const boost::json::object& doc);

// The KeyConfig a managed key becomes in the running configuration (no secret: its digest).
KeyConfig to_key_config(const ManagedKey& key);

}  // namespace switchyard::org
