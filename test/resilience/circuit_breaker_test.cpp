#include <boost/test/unit_test.hpp>

#include "resilience/circuit_breaker.hpp"

using namespace switchyard;
using namespace switchyard::resilience;
using std::chrono::milliseconds;

BOOST_AUTO_TEST_CASE(opens_after_consecutive_failures_half_opens_after_cooldown_and_closes_on_success) {
  BreakerConfig c;
  c.failure_threshold = 3;
  c.cooldown = milliseconds(1000);
  c.half_open_probes = 1;
  CircuitBreaker b(c);
  TimePoint t{};
  for (int i = 0; i < 2; ++i) {
    BOOST_TEST(b.allow(t));
    b.on_failure(t);
  }
  BOOST_TEST((b.state(t) == CircuitState::closed));
  b.on_success(t);  // a success resets the run
  for (int i = 0; i < 3; ++i) b.on_failure(t);
  BOOST_TEST((b.state(t) == CircuitState::open));
  BOOST_TEST(!b.allow(t + milliseconds(999)));
  BOOST_TEST((b.state(t + milliseconds(1000)) == CircuitState::half_open));
  BOOST_TEST(b.allow(t + milliseconds(1000)));   // the probe
  BOOST_TEST(!b.allow(t + milliseconds(1001)));  // only one probe at a time
  b.on_success(t + milliseconds(1100));
  BOOST_TEST((b.state(t + milliseconds(1100)) == CircuitState::closed));
  BOOST_TEST(b.allow(t + milliseconds(1100)));
}

BOOST_AUTO_TEST_CASE(a_failed_probe_opens_it_again_for_a_full_cooldown) {
  BreakerConfig c;
  c.failure_threshold = 1;
  c.cooldown = milliseconds(500);
  CircuitBreaker b(c);
  TimePoint t{};
  b.on_failure(t);
  BOOST_TEST(b.allow(t + milliseconds(500)));
  b.on_failure(t + milliseconds(600));
  BOOST_TEST((b.state(t + milliseconds(700)) == CircuitState::open));
  BOOST_TEST(!b.allow(t + milliseconds(1099)));
  BOOST_TEST(b.allow(t + milliseconds(1100)));
}

BOOST_AUTO_TEST_CASE(an_error_rate_over_the_window_opens_it) {
  BreakerConfig c;
  c.failure_threshold = 100;
  c.error_rate_threshold = 0.5;
  c.min_requests = 10;
  CircuitBreaker b(c);
  TimePoint t{};
  for (int i = 0; i < 9; ++i) {
    b.on_success(t);
    b.on_failure(t);  // alternating: never 100 in a row, but 50% errors
  }
  BOOST_TEST((b.state(t) == CircuitState::open));
}

BOOST_AUTO_TEST_CASE(a_released_probe_slot_can_be_used_again) {
  BreakerConfig c;
  c.failure_threshold = 1;
  c.cooldown = milliseconds(10);
  CircuitBreaker b(c);
  TimePoint t{};
  b.on_failure(t);
  BOOST_TEST(b.allow(t + milliseconds(10)));
  b.release_probe();
  BOOST_TEST(b.allow(t + milliseconds(11)));
}
