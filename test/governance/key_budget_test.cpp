#include <boost/test/unit_test.hpp>

#include <chrono>

#include "governance/key_budget.hpp"

using namespace switchyard;
using namespace switchyard::governance;

namespace {
// Milliseconds since the epoch of a UTC date and time.
Ms at(int y, unsigned m, unsigned d, int hour = 0, int minute = 0) {
  using namespace std::chrono;
  const sys_days day{year{y} / month{m} / d};
  return static_cast<Ms>(duration_cast<milliseconds>(day.time_since_epoch()).count()) + (hour * 60 + minute) * 60'000LL;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(key_budget)

BOOST_AUTO_TEST_CASE(periods_follow_the_utc_calendar) {
  const Ms now = at(2026, 11, 30, 12, 34);  // a Monday
  BOOST_TEST(period_start(BudgetPeriod::day, now) == at(2026, 11, 30));
  BOOST_TEST(period_end(BudgetPeriod::day, now) == at(2026, 12, 1));
  BOOST_TEST(period_start(BudgetPeriod::week, now) == at(2026, 11, 30));
  BOOST_TEST(period_start(BudgetPeriod::week, at(2026, 12, 6, 23, 59)) == at(2026, 11, 30));  // Sunday: same week
  BOOST_TEST(period_end(BudgetPeriod::week, now) == at(2026, 12, 7));
  BOOST_TEST(period_start(BudgetPeriod::month, now) == at(2026, 11, 1));
  BOOST_TEST(period_end(BudgetPeriod::month, now) == at(2026, 12, 1));
  BOOST_TEST(period_end(BudgetPeriod::month, at(2026, 12, 31, 23, 59)) == at(2027, 1, 1));
  BOOST_TEST(period_end(BudgetPeriod::month, at(2028, 2, 10)) == at(2028, 3, 1));  // leap year
}

BOOST_AUTO_TEST_CASE(a_budget_spent_mid_period_refuses_until_the_period_ends) {
  KeyBudget b(BudgetConfig{25.0, BudgetPeriod::month});
  const Ms t = at(2026, 11, 10);
  b.spend(24.99, t);
  BOOST_TEST(!b.exhausted(t));
  b.spend(0.02, t + 1);
  BOOST_TEST(b.exhausted(t + 1));
  BOOST_TEST(b.resets_at(t + 1) == at(2026, 12, 1));
  BOOST_TEST(b.exhausted(at(2026, 12, 1) - 1));  // the last millisecond of the month
  BOOST_TEST(!b.exhausted(at(2026, 12, 1)));     // a new month starts from zero
  BOOST_TEST(b.spent(at(2026, 12, 1)) == 0.0);
}

BOOST_AUTO_TEST_CASE(a_total_budget_never_resets) {
  KeyBudget b(BudgetConfig{1.0, BudgetPeriod::total});
  b.spend(1.0, at(2026, 1, 1));
  BOOST_TEST(b.exhausted(at(2030, 1, 1)));
}

BOOST_AUTO_TEST_SUITE_END()
