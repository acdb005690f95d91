#pragma once
// One key's rate limits (LimitsConfig) counted in Redis, shared by every
// replica pointed at it: each admission is one round trip, a Lua script that
// checks every window of the subject and takes from all of them or from none,
// atomically (EVALSHA; EVAL when Redis answers NOSCRIPT, which loads it
// again). The same windows as KeyLimiter: the minute is a token bucket, the
// hour and the day sliding windows, and concurrency a sorted set of slots that
// expire (a replica that crashed does not hold its slots forever). finish()
// reconciles a token reservation with what the answer used and frees the slot.
//
// Time is the caller's wall clock (milliseconds since the epoch), passed in:
// replicas are expected to keep their clocks in step (NTP), and tests step it.
#include <switchyard/config.hpp>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "governance/key_limiter.hpp"
#include "state/redis_client.hpp"

namespace switchyard::governance {

class SharedLimiter {
 public:
  // `prefix` starts every key ("switchyard:"); every command waits at most `timeout`.
  SharedLimiter(state::RedisClient& redis, std::string prefix, std::chrono::milliseconds timeout,
                std::chrono::milliseconds slot_ttl = std::chrono::minutes(10));

  struct Verdict {
    std::optional<LimitRefusal> refused;  // set: nothing was taken (limit "budget": the shared budget is spent)
    double budget_spent = 0;              // with a refusal by the budget: what the period's spend is
    std::vector<std::pair<std::string, WindowStatus>> windows;  // every window after the admission, by config name
  };
  // Takes one request, `tokens` reserved tokens and (with a concurrency limit)
  // the slot `slot_id` from every window of `subject` ("key:team-a"), or
  // nothing. nullopt: Redis did not answer within the timeout (the caller
  // falls back to its own counters or refuses).
  // `budget`: the subject's spend in the budget's current period (one
  // counter per period, INCRBYFLOAT by finish(), expiring a day after the
  // period) must be under budget->usd, checked in the same script.
  boost::asio::awaitable<std::optional<Verdict>> admit(std::string subject, const LimitsConfig& limits, std::uint64_t tokens,
                                                       std::string slot_id, Ms now, std::optional<BudgetConfig> budget = std::nullopt);
  // The request ended having used `used` of `reserved` tokens: the difference
  // goes back to (or is taken from) the token windows; the slot is freed. False: Redis did not answer.
  // With `budget`, `cost_usd` is added to the period's spend.
  boost::asio::awaitable<bool> finish(std::string subject, const LimitsConfig& limits, std::uint64_t reserved, std::uint64_t used,
                                      std::string slot_id, Ms now, std::optional<BudgetConfig> budget = std::nullopt, double cost_usd = 0);

 private:
  struct Window {
    std::string name;  // "requests_per_minute"
    std::string kind;  // "bucket" | "sliding" | "slots"
    std::uint64_t limit;
    Ms window;
    bool tokens;
  };
  static std::vector<Window> windows_of(const LimitsConfig& limits);
  std::string budget_key(const std::string& subject, const BudgetConfig& budget, Ms now) const;
  std::vector<std::string> keys_of(const std::string& subject, const std::optional<BudgetConfig>& budget, Ms now) const;
  boost::asio::awaitable<std::optional<state::RedisReply>> run(const std::string& script, const std::string& sha,
                                                               std::vector<std::string> keys, std::vector<std::string> args);

  state::RedisClient& redis_;
  std::string prefix_;
  std::chrono::milliseconds timeout_;
  std::chrono::milliseconds slot_ttl_;
  std::string admit_sha_, finish_sha_;
};

}  // namespace switchyard::governance
