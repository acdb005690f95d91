#pragma once
// What the usage ledger answers (Gateway::usage, the usage API): a header of
// its own so that the ledger, below the gateway, needs nothing of gateway.hpp.
#include <cstdint>
#include <string>

namespace switchyard {

// Totals of a group of usage-ledger rows (Gateway::usage).
struct UsageTotals {
  std::string group;  // the group's value: a key name, route, provider, model or a day ("2026-11-30")
  std::uint64_t requests = 0, errors = 0;
  std::int64_t prompt_tokens = 0, cached_tokens = 0, completion_tokens = 0, reasoning_tokens = 0;
  double cost_usd = 0;
  std::uint64_t cache_hits = 0;  // answered by the response cache (hits and coalesced requests)
  double saved_usd = 0;          // what those answers cost when they were fetched
  std::uint64_t refused = 0;     // of `requests`: refused by a key's limits or budget (429 rate_limit_exceeded, budget_exceeded)
};

}  // namespace switchyard
