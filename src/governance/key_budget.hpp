#pragma once
// One key's dollar budget over a UTC calendar period (day from 00:00, week
// from Monday 00:00, month from the 1st, or total), sans-io: spend is added
// as answers end; a new period starts from zero.
#include <switchyard/config.hpp>

#include <algorithm>

#include "governance/rate_window.hpp"

namespace switchyard::governance {

// The period containing `now` (milliseconds since the epoch, UTC): [start, end).
Ms period_start(BudgetPeriod period, Ms now);
Ms period_end(BudgetPeriod period, Ms now);

class KeyBudget {
 public:
  explicit KeyBudget(BudgetConfig config) : config_(config) {}
  // Spent, plus what requests in flight were estimated to cost (reserved at
  // admission, released when they end): 30 requests at once cannot all pass
  // a budget that has room for one.
  bool exhausted(Ms now) { return spent(now) + reserved_ >= config_.usd; }
  double spent(Ms now);
  void spend(double usd, Ms now);
  void reserve(double usd) noexcept { reserved_ += usd; }
  void release(double usd) noexcept { reserved_ = std::max(0.0, reserved_ - usd); }
  double reserved() const noexcept { return reserved_; }
  Ms resets_at(Ms now);  // the end of the current period (INT64_MAX for "total")
  const BudgetConfig& config() const noexcept { return config_; }

 private:
  void roll(Ms now);
  BudgetConfig config_;
  double spent_ = 0;
  double reserved_ = 0;  // requests in flight (not per period: they end in whichever period)
  Ms end_ = 0;  // spent_ counts the period ending here (0: none yet)
};

}  // namespace switchyard::governance
