#pragma once
// One key's rate limits (LimitsConfig), sans-io: a request takes one request
// and its reserved tokens from every window, and a concurrency slot, all or
// nothing; when its answer ends, the reservation is reconciled with the
// tokens it used and the slot given back.
#include <switchyard/config.hpp>

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "governance/rate_window.hpp"

namespace switchyard::governance {

struct WindowStatus {
  std::uint64_t limit = 0;  // 0: no such limit
  std::uint64_t remaining = 0;
  Ms reset_ms = 0;
};

struct LimitRefusal {
  std::string limit;  // "60 requests per minute", "8 concurrent requests"
  Ms retry_after_ms = 0;
  bool ever = true;   // false: this request alone is larger than the limit (waiting does not help)
};

class KeyLimiter {
 public:
  explicit KeyLimiter(const LimitsConfig& config);

  bool limited() const noexcept { return !windows_.empty() || concurrent_ > 0; }
  bool limits_tokens() const noexcept { return tokens_limited_; }
  // Takes one request, `tokens` reserved tokens and a concurrency slot; or nothing, and says why.
  std::optional<LimitRefusal> admit(std::uint64_t tokens, Ms now);
  // Whether admit() would take the request now, without taking anything.
  std::optional<LimitRefusal> check(std::uint64_t tokens, Ms now);
  // The request ended having used `used` of the `reserved` tokens: the difference is given back (or taken); the slot is freed.
  void finish(std::uint64_t reserved, std::uint64_t used, Ms now);
  // The tightest request and token windows now (the one with the least remaining).
  WindowStatus requests(Ms now);
  WindowStatus tokens(Ms now);
  // Every window by its config name ("requests_per_minute", ...).
  std::vector<std::pair<std::string, WindowStatus>> windows(Ms now);
  std::uint32_t in_flight() const noexcept { return in_flight_; }
  // A reload replaced this key's limiter: the requests still running under the old one
  // hold slots here from now on (their tickets finish here).
  void adopt_in_flight(std::uint32_t n) noexcept { in_flight_ += n; }
  // Counts what the ledger says was used before a restart, `at` (the start of
  // the time range it was used in), into the windows of length `window_ms`
  // (the per-minute bucket takes it now, at most its capacity).
  struct Used {
    std::uint64_t requests = 0, tokens = 0;
  };
  void preload(Ms window_ms, Used used, Ms at, Ms now);
  // A reloaded configuration changed the limits: what `old` counted in each
  // window is counted again in this one's window of the same length and kind
  // (the new limit applies to what was already used). In-flight slots stay
  // with `old` (its requests give them back there).
  void carry_from(KeyLimiter& old, Ms now);

 private:
  struct Window {
    std::variant<TokenBucket, SlidingWindow> counter;
    bool counts_tokens;
    std::string what;  // "60 requests per minute"
    Ms window;
    std::string name;  // "requests_per_minute"
  };
  WindowStatus tightest(bool of_tokens, Ms now);

  std::vector<Window> windows_;
  std::uint32_t concurrent_ = 0;
  std::uint32_t in_flight_ = 0;
  bool tokens_limited_ = false;
};

}  // namespace switchyard::governance
