#include "governance/key_limiter.hpp"

namespace switchyard::governance {

namespace {
constexpr Ms kMinute = 60'000, kHour = 3'600'000, kDay = 86'400'000;
}

KeyLimiter::KeyLimiter(const LimitsConfig& c) : concurrent_(c.concurrent) {
  auto add = [&](std::uint64_t limit, Ms window, bool tokens, const char* unit, const char* per) {
    if (limit == 0) return;
    const std::string what = std::to_string(limit) + " " + unit + " per " + per;
    const std::string name = std::string(unit) + "_per_" + per;
    if (window == kMinute) windows_.push_back(Window{TokenBucket(limit, window), tokens, what, window, name});
    else windows_.push_back(Window{SlidingWindow(limit, window), tokens, what, window, name});
    tokens_limited_ = tokens_limited_ || tokens;
  };
  add(c.requests_per_minute, kMinute, false, "requests", "minute");
  add(c.requests_per_hour, kHour, false, "requests", "hour");
  add(c.requests_per_day, kDay, false, "requests", "day");
  add(c.tokens_per_minute, kMinute, true, "tokens", "minute");
  add(c.tokens_per_hour, kHour, true, "tokens", "hour");
  add(c.tokens_per_day, kDay, true, "tokens", "day");
}

std::optional<LimitRefusal> KeyLimiter::admit(std::uint64_t tokens, Ms now) {
  if (auto refusal = check(tokens, now)) return refusal;
  for (auto& w : windows_) {
    const double cost = w.counts_tokens ? static_cast<double>(tokens) : 1.0;
    std::visit([&](auto& counter) { counter.take(cost, now); }, w.counter);
  }
  ++in_flight_;
  return std::nullopt;
}

std::optional<LimitRefusal> KeyLimiter::check(std::uint64_t tokens, Ms now) {
  if (concurrent_ > 0 && in_flight_ >= concurrent_) {
    return LimitRefusal{std::to_string(concurrent_) + " concurrent requests", 1000, true};
  }
  std::optional<LimitRefusal> refusal;
  for (auto& w : windows_) {
    const double cost = w.counts_tokens ? static_cast<double>(tokens) : 1.0;
    std::visit([&](auto& counter) {
      if (!counter.fits_ever(cost)) {
        refusal = LimitRefusal{w.what + " (this request alone is estimated at " + std::to_string(tokens) + " tokens)", 0, false};
      } else if (auto wait = counter.wait_for(cost, now); wait && (!refusal || (refusal->ever && *wait > refusal->retry_after_ms))) {
        refusal = LimitRefusal{w.what, *wait, true};
      }
    }, w.counter);
    if (refusal && !refusal->ever) return refusal;
  }
  return refusal;
}

void KeyLimiter::finish(std::uint64_t reserved, std::uint64_t used, Ms now) {
  if (in_flight_ > 0) --in_flight_;
  if (reserved == used) return;
  for (auto& w : windows_) {
    if (!w.counts_tokens) continue;
    std::visit([&](auto& counter) {
      if (used < reserved) counter.give_back(static_cast<double>(reserved - used), now);
      else counter.take(static_cast<double>(used - reserved), now);
    }, w.counter);
  }
}

void KeyLimiter::preload(Ms window_ms, Used used, Ms at, Ms now) {
  for (auto& w : windows_) {
    if (w.window != window_ms) continue;
    const auto cost = static_cast<double>(w.counts_tokens ? used.tokens : used.requests);
    if (cost <= 0) continue;
    if (auto* bucket = std::get_if<TokenBucket>(&w.counter)) bucket->preload(cost, now);
    else std::get<SlidingWindow>(w.counter).preload(cost, at, now);
  }
}

void KeyLimiter::carry_from(KeyLimiter& old, Ms now) {
  for (auto& w : windows_) {
    for (auto& o : old.windows_) {
      if (o.window != w.window || o.counts_tokens != w.counts_tokens) continue;
      const double used = std::visit([&](auto& c) { return static_cast<double>(c.limit() - std::min(c.limit(), c.remaining(now))); }, o.counter);
      if (used > 0) std::visit([&](auto& counter) { counter.take(used, now); }, w.counter);
      break;
    }
  }
}

WindowStatus KeyLimiter::tightest(bool of_tokens, Ms now) {
  std::optional<WindowStatus> best;
  for (auto& w : windows_) {
    if (w.counts_tokens != of_tokens) continue;
    std::visit([&](auto& counter) {
      const WindowStatus s{counter.limit(), counter.remaining(now), counter.reset_in(now)};
      if (!best || s.remaining < best->remaining) best = s;
    }, w.counter);
  }
  return best.value_or(WindowStatus{});
}

std::vector<std::pair<std::string, WindowStatus>> KeyLimiter::windows(Ms now) {
  std::vector<std::pair<std::string, WindowStatus>> out;
  for (auto& w : windows_) {
    std::visit([&](auto& c) { out.emplace_back(w.name, WindowStatus{c.limit(), c.remaining(now), c.reset_in(now)}); }, w.counter);
  }
  if (concurrent_ > 0) out.emplace_back("concurrent", WindowStatus{concurrent_, concurrent_ - std::min(concurrent_, in_flight_), 0});
  return out;
}

WindowStatus KeyLimiter::requests(Ms now) { return tightest(false, now); }
WindowStatus KeyLimiter::tokens(Ms now) { return tightest(true, now); }

}  // namespace switchyard::governance
