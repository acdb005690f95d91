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
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <memory>
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

  ~SharedLimiter();
  SharedLimiter(const SharedLimiter&) = delete;
  SharedLimiter& operator=(const SharedLimiter&) = delete;

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
  // finish() without waiting for it: queued to be applied by the next
  // admission's script (one call does both: half the script calls, and no
  // round trip of its own) or sent alone after `finish_delay` at the latest.
  void finish_soon(std::string subject, const LimitsConfig& limits, std::uint64_t reserved, std::uint64_t used, std::string slot_id,
                   std::optional<BudgetConfig> budget = std::nullopt, double cost_usd = 0);
  // Sends what finish_soon() queued (admit() does, first).
  void flush();
  // Ends that never reached Redis (no connection: they did not run) wait here,
  // at most kMaxUnsynced (beyond: dropped and counted), and are sent again
  // when the connection comes back, so spend made while Redis was away is
  // not lost from the shared budget.
  static constexpr std::size_t kMaxUnsynced = 10'000;
  std::size_t unsynced() const noexcept { return unsynced_.size(); }
  std::uint64_t unsynced_dropped() const noexcept { return unsynced_dropped_; }

 private:
  struct Window {
    const char* name;       // "requests_per_minute"
    const char* fields[3];  // its fields in the subject's hash ("rpm:a", "rpm:b", "rpm:c")
    const char* kind;       // "b" (token bucket) | "s" (sliding window)
    std::uint64_t limit;
    Ms window;
    bool tokens;
  };
  static std::vector<Window> windows_of(const LimitsConfig& limits);
  std::string budget_key(const std::string& subject, const BudgetConfig& budget, Ms now) const;
  std::vector<std::string> keys_of(const std::string& subject, const std::optional<BudgetConfig>& budget, Ms now) const;
  // Appends one request's end (its three keys, its block of arguments) to a script call; false: nothing to do.
  bool finish_block(std::vector<std::string>& keys, std::vector<std::string>& args, const std::string& subject, const LimitsConfig& limits,
                    std::uint64_t reserved, std::uint64_t used, std::string slot_id, Ms now, const std::optional<BudgetConfig>& budget,
                    double cost_usd) const;
  boost::asio::awaitable<std::optional<state::RedisReply>> run(const std::string& script, const std::string& sha,
                                                               std::vector<std::string> keys, std::vector<std::string> args, bool* sent = nullptr);

  struct Queued {
    std::string subject;
    LimitsConfig limits;
    std::uint64_t reserved = 0, used = 0;
    std::string slot;
    std::optional<BudgetConfig> budget;
    double cost_usd = 0;
  };

  void keep_unsynced(Queued q);
  boost::asio::awaitable<void> send_one(Queued q, Ms now);

  state::RedisClient& redis_;
  std::vector<Queued> queued_;
  std::vector<Queued> unsynced_;
  std::uint64_t unsynced_dropped_ = 0;
  boost::asio::steady_timer flush_timer_;
  bool flush_armed_ = false;
  std::chrono::milliseconds finish_delay_{2};
  std::string prefix_;
  std::chrono::milliseconds timeout_;
  std::chrono::milliseconds slot_ttl_;
  std::string admit_sha_, finish_sha_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace switchyard::governance
