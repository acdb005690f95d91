#include <boost/test/unit_test.hpp>

#include "governance/rate_window.hpp"

// The governance components on a stepped clock (milliseconds): rate windows
// (here), the key limiter, the budget and the governor.

using namespace switchyard::governance;

BOOST_AUTO_TEST_SUITE(rate_window)

BOOST_AUTO_TEST_CASE(a_minute_bucket_allows_the_whole_minute_as_a_burst_then_refills_steadily) {
  TokenBucket b(60, 60'000);
  const Ms t0 = 1'000'000;
  for (int i = 0; i < 60; ++i) {
    BOOST_TEST(!b.wait_for(1, t0).has_value());
    b.take(1, t0);
  }
  BOOST_TEST(b.remaining(t0) == 0u);
  BOOST_TEST(*b.wait_for(1, t0) == 1000);         // one request a second comes back
  BOOST_TEST(b.wait_for(1, t0 + 999).has_value());  // exact at the boundary
  BOOST_TEST(!b.wait_for(1, t0 + 1000).has_value());
  BOOST_TEST(b.reset_in(t0 + 1000) == 59'000);
  BOOST_TEST(b.remaining(t0 + 60'000) == 60u);  // never more than the minute's amount
  BOOST_TEST(b.remaining(t0 + 600'000) == 60u);
}

BOOST_AUTO_TEST_CASE(a_bucket_gives_back_a_reservation_and_can_be_overdrawn) {
  TokenBucket b(5000, 60'000);
  b.take(5000, 0);
  BOOST_TEST(b.remaining(0) == 0u);
  b.give_back(4700, 0);  // reserved 5,000, used 300
  BOOST_TEST(b.remaining(0) == 4700u);
  b.take(6000, 0);       // an answer larger than its reservation: the next requests wait
  BOOST_TEST(b.remaining(0) == 0u);
  BOOST_TEST(*b.wait_for(1, 0) == 15'612);  // 1,301 tokens short at 1/12 token per ms
  BOOST_TEST(!b.fits_ever(5001));
}

BOOST_AUTO_TEST_CASE(an_hour_window_slides_exactly) {
  const Ms hour = 3'600'000;
  SlidingWindow w(10, hour);
  const Ms t0 = 100 * hour;  // the start of a bucket
  for (int i = 0; i < 10; ++i) {
    BOOST_TEST(!w.wait_for(1, t0).has_value());
    w.take(1, t0);
  }
  BOOST_TEST(w.remaining(t0) == 0u);
  // The 10 leave the window as it slides past them: one fits once a tenth of the next hour has passed.
  const Ms wait = *w.wait_for(1, t0);
  BOOST_TEST(wait == hour + hour / 10);
  BOOST_TEST(w.wait_for(1, t0 + wait - 1).has_value());
  BOOST_TEST(!w.wait_for(1, t0 + wait).has_value());
  BOOST_TEST(w.remaining(t0 + 2 * hour) == 10u);
}

BOOST_AUTO_TEST_CASE(a_day_window_counts_a_full_day_back) {
  const Ms day = 86'400'000;
  SlidingWindow w(3, day);
  const Ms t0 = 20'000 * day + day / 2;  // midday
  for (int i = 0; i < 3; ++i) w.take(1, t0);
  BOOST_TEST(w.wait_for(1, t0).has_value());
  BOOST_TEST(w.wait_for(1, t0 + day / 2 + 1).has_value());  // next day: the previous day still weighs (3 * ~1.0)
  BOOST_TEST(!w.wait_for(1, t0 + day / 2 + day / 3 + 1).has_value());  // a third into it, 3 * 2/3 = 2 weigh: one more fits
  BOOST_TEST(w.remaining(t0 + 3 * day) == 3u);
}

BOOST_AUTO_TEST_SUITE_END()
