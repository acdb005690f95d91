#pragma once
// The shared database's schema (backend = "postgres"): keys, teams, the audit
// of admin actions, the change counter and the usage ledger, created and
// migrated by the gateway at start (versioned: the Nth migration runs once,
// when the database's version is below N; a database newer than this
// Switchyard is refused). Replicas starting together take turns (an advisory
// lock inside the migration's transaction).
#include <switchyard/error.hpp>

#include <chrono>
#include <string>

namespace switchyard::postgres {

inline constexpr int kSchemaVersion = 2;
// The channel a change to keys or teams is announced on (NOTIFY, with the new version).
inline constexpr const char* kChangeChannel = "sy_changes";

// Blocking (startup only).
result<void> migrate_blocking(const std::string& url, std::chrono::milliseconds timeout);

}  // namespace switchyard::postgres
