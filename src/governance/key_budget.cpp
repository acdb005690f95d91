#include "governance/key_budget.hpp"

#include <chrono>
#include <limits>

namespace switchyard::governance {

namespace {
constexpr Ms kDay = 86'400'000;
using namespace std::chrono;

Ms day_of(Ms now) { return (now >= 0 ? now : now - kDay + 1) / kDay; }
Ms ms_of(sys_days d) { return static_cast<Ms>(d.time_since_epoch().count()) * kDay; }
}  // namespace

Ms period_start(BudgetPeriod period, Ms now) {
  const Ms day = day_of(now);
  switch (period) {
    case BudgetPeriod::day: return day * kDay;
    case BudgetPeriod::week: {
      const Ms monday_based = (day + 3) % 7;  // 1970-01-01 was a Thursday
      return (day - (monday_based < 0 ? monday_based + 7 : monday_based)) * kDay;
    }
    case BudgetPeriod::month: {
      const year_month_day ymd{sys_days{days{day}}};
      return ms_of(sys_days{ymd.year() / ymd.month() / 1});
    }
    case BudgetPeriod::total: return std::numeric_limits<Ms>::min();
  }
  return 0;
}

Ms period_end(BudgetPeriod period, Ms now) {
  switch (period) {
    case BudgetPeriod::day: return period_start(period, now) + kDay;
    case BudgetPeriod::week: return period_start(period, now) + 7 * kDay;
    case BudgetPeriod::month: {
      const year_month_day ymd{sys_days{days{day_of(now)}}};
      const auto next = year_month{ymd.year() / ymd.month()} + months{1};
      return ms_of(sys_days{next / 1});
    }
    case BudgetPeriod::total: return std::numeric_limits<Ms>::max();
  }
  return 0;
}

void KeyBudget::roll(Ms now) {
  if (end_ != 0 && now < end_) return;
  spent_ = 0;
  end_ = period_end(config_.period, now);
}

double KeyBudget::spent(Ms now) {
  roll(now);
  return spent_;
}

void KeyBudget::spend(double usd, Ms now) {
  roll(now);
  if (usd > 0) spent_ += usd;
}

Ms KeyBudget::resets_at(Ms now) {
  roll(now);
  return end_;
}

}  // namespace switchyard::governance
