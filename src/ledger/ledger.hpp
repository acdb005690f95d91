#pragma once
// The usage ledger's interface: one row per request, recorded from the
// request path without waiting (a fixed ring per producer, a full ring drops
// the row and counts it), queried by the usage API, the dashboard and the
// restore at startup. Two backends: ledger/usage_ledger (SQLite, one file per
// process) and ledger/postgres_ledger (one database for every replica).
#include <switchyard/usage_totals.hpp>

#include "ledger/sla_report.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/array.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchyard::ledger {

using Ms = std::int64_t;  // milliseconds since the epoch, UTC

// One request, as the ledger stores it. Text fields are truncated to their buffer.
struct UsageRow {
  Ms time_ms = 0;
  std::string_view request_id, key, route, provider, model, error;
  std::string_view cache;  // the response cache's verdict: "" (route not cached), hit, miss, coalesced, bypass
  int status = 0;
  bool stream = false;
  std::int64_t prompt_tokens = 0, cached_tokens = 0, cache_write_tokens = 0, completion_tokens = 0, reasoning_tokens = 0;
  double cost_usd = 0;
  double latency_ms = 0;
  double ttft_ms = 0;  // streams: time to first chunk
  double overhead_us = 0;  // time inside the gateway core, excluding the wait on the provider
  double saved_usd = 0;    // a hit or coalesced request: what the answer cost when it was fetched
  std::string_view team, user;  // the key's team and the end user ("" = none)
  int failovers = 0;            // moves to another target before it ended (the SLA report's)
};

using UsageTotals = switchyard::UsageTotals;

// team_user: "team\x1fuser" (restoring end users' windows and spend; not a usage API grouping).
enum class GroupBy { key, route, provider, model, day, team, user, team_user };
std::optional<GroupBy> parse_group_by(std::string_view name) noexcept;
std::string_view to_string(GroupBy g) noexcept;

class Ledger {
 public:
  virtual ~Ledger() = default;
  static constexpr std::size_t kMaxQueuedQueries = 8;
  // Queues a row in producer `ring`'s ring (one thread per ring); false when it is full (the row is dropped and counted).
  virtual bool record(const UsageRow& row, std::size_t ring = 0) noexcept = 0;
  virtual std::uint64_t dropped() const noexcept = 0;
  virtual std::uint64_t written() const noexcept = 0;
  virtual std::uint64_t queries_refused() const noexcept = 0;
  // Totals over [from, to) grouped; key_filter non-empty: that key's rows only.
  // Rows recorded before the call are counted. nullopt: kMaxQueuedQueries are
  // waiting already, the answer took over 30 s, or the database is away.
  virtual boost::asio::awaitable<std::optional<std::vector<UsageTotals>>> totals(Ms from, Ms to, GroupBy group, std::string key_filter) = 0;
  // The newest `limit` rows (at most 1,000), newest first: {time_ms, request_id, key, route, provider, model,
  // status, stream, prompt_tokens, completion_tokens, cost_usd, latency_ms, cache, error}. Empty when busy.
  virtual boost::asio::awaitable<boost::json::array> recent(std::size_t limit) = 0;
  // The SLA report over [from, to), grouped; nullopt: too many queries waiting, or the database did not answer.
  virtual boost::asio::awaitable<std::optional<SlaReport>> sla(Ms from, Ms to, SlaGroup group) = 0;
  // The same as totals, blocking (startup: restoring budgets and windows before serving).
  virtual std::vector<UsageTotals> totals_now(Ms from, Ms to, GroupBy group, const std::string& key_filter) = 0;
  // Waits until every row queued so far is written (tests, shutdown).
  virtual boost::asio::awaitable<void> flush() = 0;
  // The gateway is shutting down: write what is queued, then stop working in the background
  // (rows recorded later are still kept: see each backend).
  virtual void shutdown() {}
  // Today's totals (UTC day) over every replica's rows, as last read (a shared ledger only; a
  // few seconds old at most); nullopt: this replica's own figures are the whole truth.
  virtual std::optional<UsageTotals> fleet_today() const { return std::nullopt; }
};

}  // namespace switchyard::ledger
