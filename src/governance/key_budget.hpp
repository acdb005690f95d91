#pragma once
// One key's dollar budget over a UTC calendar period (day from 00:00, week
// from Monday 00:00, month from the 1st, or total), sans-io: spend is added
// as answers end; a new period starts from zero.
#include <switchyard/config.hpp>

#include "governance/rate_window.hpp"

namespace switchyard::governance {

// The period containing `now` (milliseconds since the epoch, UTC): [start, end).
Ms period_start(BudgetPeriod period, Ms now);
Ms period_end(BudgetPeriod period, Ms now);

class KeyBudget {
 public:
  explicit KeyBudget(BudgetConfig config) : config_(config) {}
  bool exhausted(Ms now) { return spent(now) >= config_.usd; }
  double spent(Ms now);
  void spend(double usd, Ms now);
  Ms resets_at(Ms now);  // the end of the current period (INT64_MAX for "total")
  const BudgetConfig& config() const noexcept { return config_; }

 private:
  void roll(Ms now);
  BudgetConfig config_;
  double spent_ = 0;
  Ms end_ = 0;  // spent_ counts the period ending here (0: none yet)
};

}  // namespace switchyard::governance
