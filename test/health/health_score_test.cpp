#include <boost/test/unit_test.hpp>

#include "health/health_score.hpp"

using namespace switchyard;
using namespace switchyard::health;
using resilience::CircuitState;
using std::chrono::milliseconds;

namespace {
double score(const HealthSnapshot& s, PeerBaseline p = {}, CircuitState c = CircuitState::closed) {
  return computeHealthScore(s, p, c);
}
}  // namespace

BOOST_AUTO_TEST_CASE(a_fresh_target_scores_one) { BOOST_TEST(score(HealthSnapshot{}) == 1.0); }

BOOST_AUTO_TEST_CASE(more_errors_never_raise_the_score) {
  double last = 2;
  for (std::uint64_t errors = 0; errors <= 50; ++errors) {
    HealthSnapshot s;
    s.requests = 50;
    s.errors = errors;
    const double now = score(s);
    BOOST_TEST(now <= last);
    BOOST_TEST(now >= 0.0);
    last = now;
  }
  // a failed request (requests and errors both +1) lowers it too
  for (std::uint64_t n = 0; n < 30; ++n) {
    HealthSnapshot a, b;
    a.requests = 30 + n;
    a.errors = n;
    b.requests = a.requests + 1;
    b.errors = a.errors + 1;
    BOOST_TEST(score(b) < score(a));
  }
}

BOOST_AUTO_TEST_CASE(slower_targets_score_lower_relative_to_their_peers) {
  PeerBaseline peers{100, 200};
  double last = 2;
  for (double latency : {100.0, 150.0, 300.0, 1000.0, 10000.0}) {
    HealthSnapshot s;
    s.ewma_latency_ms = latency;
    const double now = score(s, peers);
    BOOST_TEST(now <= last);
    last = now;
  }
  HealthSnapshot three_times;
  three_times.ewma_latency_ms = 300;
  BOOST_TEST(score(three_times, peers) == 0.5);
  HealthSnapshot slow_ttft;
  slow_ttft.ewma_ttft_ms = 400;
  BOOST_TEST(score(slow_ttft, peers) < 1.0);
}

BOOST_AUTO_TEST_CASE(rate_limits_and_circuits_lower_the_score) {
  HealthSnapshot limited;
  limited.rate_limited = true;
  BOOST_TEST(score(limited) <= 0.05);
  double last = 0;
  for (double ago : {0.0, 10.0, 30.0, 59.0, 61.0}) {
    HealthSnapshot s;
    s.seconds_since_429 = ago;
    const double now = score(s);
    BOOST_TEST(now >= last);  // recovers as the 429 ages
    last = now;
  }
  BOOST_TEST(last == 1.0);
  BOOST_TEST(score(HealthSnapshot{}, {}, CircuitState::half_open) == 0.25);
  BOOST_TEST(score(HealthSnapshot{}, {}, CircuitState::open) == 0.0);
}

BOOST_AUTO_TEST_CASE(the_table_counts_a_rolling_window) {
  HealthTable table;
  auto* m = table.slot("oai", "gpt");
  BOOST_REQUIRE(m);
  BOOST_TEST(table.slot("oai", "gpt") == m);  // one slot per target
  const TimePoint t0{std::chrono::seconds(1000)};
  m->on_start();
  m->on_success(t0, 100, 20);
  m->on_finish();
  m->on_failure(t0 + milliseconds(500), true, 2000.0);
  auto s = m->snapshot(t0 + milliseconds(600));
  BOOST_TEST(s.requests == 2u);
  BOOST_TEST(s.errors == 1u);
  BOOST_TEST(s.consecutive_failures == 1u);
  BOOST_TEST(s.rate_limited);
  BOOST_TEST(s.ewma_latency_ms == 100.0);
  BOOST_TEST(s.ewma_ttft_ms == 20.0);
  BOOST_TEST(s.in_flight == 0);
  BOOST_TEST(!m->snapshot(t0 + milliseconds(3000)).rate_limited);
  BOOST_TEST(m->snapshot(t0 + std::chrono::seconds(11)).requests == 0u);  // out of the window
  HealthTable small(1);
  BOOST_TEST(small.slot("a", "b") != nullptr);
  BOOST_TEST(small.slot("a", "c") == nullptr);  // bounded
}
