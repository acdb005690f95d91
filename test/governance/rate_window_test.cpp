#include <boost/test/unit_test.hpp>

#include <vector>

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
  const Ms t0 = 100 * hour;  // the start of a slot
  for (int i = 0; i < 10; ++i) {
    BOOST_TEST(!w.wait_for(1, t0).has_value());
    w.take(1, t0);
  }
  BOOST_TEST(w.remaining(t0) == 0u);
  // The 10 leave the window an hour after they were taken, as an exact window lets them.
  const Ms wait = *w.wait_for(1, t0);
  BOOST_TEST(wait == hour);
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
  BOOST_TEST(w.wait_for(1, t0 + day / 2 + 1).has_value());      // the next morning: all three still in the last 24 h
  BOOST_TEST(w.wait_for(1, t0 + day - 1).has_value());
  BOOST_TEST(!w.wait_for(1, t0 + day).has_value());             // a day after them
  BOOST_TEST(w.remaining(t0 + 3 * day) == 3u);
}

BOOST_AUTO_TEST_CASE(never_a_wait_past_the_window_nor_a_refusal_an_exact_window_would_not_make) {
  // Requests at random times over two hours, a limit of 20 an hour: at every step the
  // window's verdict is checked against an exact count of the last hour's requests.
  const Ms hour = 3'600'000;
  SlidingWindow w(20, hour);
  std::vector<Ms> taken;  // the exact record
  std::uint64_t seed = 42;
  auto next = [&] { seed = seed * 6364136223846793005ULL + 1442695040888963407ULL; return static_cast<Ms>(seed >> 33); };
  Ms now = 500 * hour + 17'000;
  for (int step = 0; step < 3000; ++step) {
    now += next() % 90'000;
    std::size_t exact = 0;
    for (const Ms t : taken) exact += t > now - hour ? 1 : 0;
    const auto wait = w.wait_for(1, now);
    BOOST_TEST_CONTEXT("step " << step << " exact " << exact) {
      if (exact < 20) BOOST_TEST(!wait.has_value());  // an exact window has room: so does this one
      if (wait) {
        BOOST_TEST(*wait <= hour);
        SlidingWindow later = w;  // (asked on a copy: the window itself stays at now)
        BOOST_TEST(!later.wait_for(1, now + *wait).has_value());  // and the wait told is enough
      }
    }
    if (!wait) {
      w.take(1, now);
      taken.push_back(now);
    }
  }
  BOOST_TEST(taken.size() > 100u);
}

BOOST_AUTO_TEST_CASE(what_is_restored_after_a_restart_leaves_when_it_was_used_plus_the_window) {
  const Ms hour = 3'600'000;
  for (const Ms offset : {Ms{5 * 60'000}, Ms{15 * 60'000}, Ms{29 * 60'000 + 31'000}, Ms{45 * 60'000}, Ms{59 * 60'000}}) {
    BOOST_TEST_CONTEXT("restart at " << offset / 60'000 << " min past the hour") {
      const Ms now = 400 * hour + offset;
      SlidingWindow w(5, hour);
      // Five requests, 50 minutes before the restart (as the ledger's slot of that minute says).
      const Ms used_at = (now - 50 * 60'000) / w.slot_length() * w.slot_length();
      w.preload(5, used_at, now);
      const auto wait = w.wait_for(1, now);
      BOOST_REQUIRE(wait.has_value());
      BOOST_TEST(*wait <= 10 * 60'000);  // they leave the window 60 minutes after they were used
      BOOST_TEST(!w.wait_for(1, now + *wait).has_value());
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
