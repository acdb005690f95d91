#define BOOST_TEST_MODULE router_simulation
// Simulation: the real gateway routes through a fleet of three simulated
// targets (one mock playing each): one down (connections reset), one flaky
// (20% 503), one slow (30 ms). For each strategy, 200 requests; prints the
// success rate and latency each strategy achieves, and checks that clients
// almost never see a failure.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdio>
#include <numeric>

#include "support/gateway_harness.hpp"

using namespace switchyard;
using namespace switchyard::test;
using http::verb;
using std::chrono::milliseconds;

namespace {

struct Outcome {
  int ok = 0, failed = 0;
  std::vector<double> latency_ms;
  std::map<std::string, std::uint64_t> served_by;
  double percentile(double q) const {
    if (latency_ms.empty()) return 0;
    auto v = latency_ms;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))];
  }
  double mean() const { return latency_ms.empty() ? 0 : std::accumulate(latency_ms.begin(), latency_ms.end(), 0.0) / static_cast<double>(latency_ms.size()); }
};

Outcome simulate(const std::string& strategy, bool with_faults, int requests = 200) {
  GatewayHarness h({}, [&](Config& c) {
    mock_fleet(c, {"down", "flaky", "slow"}, "key-", milliseconds(2000));
    c.models.clear();
    ModelRouteConfig fleet;
    fleet.name = "fast";
    fleet.strategy = *parse_strategy(strategy);
    fleet.targets = {TargetConfig{"down", "m-down"}, TargetConfig{"flaky", "m-flaky"}, TargetConfig{"slow", "m-slow"}};
    c.models.push_back(fleet);
    c.resilience.breaker_failures = 3;
    c.resilience.breaker_cooldown = milliseconds(1000);
  });
  if (with_faults) {
    mock::MockBehaviour down;
    down.fault = mock::Fault::reset;
    h.mock().set_behaviour_for("Bearer key-down", down);
    mock::MockBehaviour flaky;
    flaky.fail_rate = 0.2;
    flaky.fail_status = 503;
    h.mock().set_behaviour_for("Bearer key-flaky", flaky);
  }
  mock::MockBehaviour slow;
  slow.ttft = milliseconds(30);
  h.mock().set_behaviour_for("Bearer key-slow", slow);

  Outcome out;
  h.run([&]() -> asio::awaitable<void> {
    TestClient c(co_await asio::this_coro::executor);
    BOOST_REQUIRE(!co_await c.connect(h.port()));
    for (int i = 0; i < requests; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      auto r = co_await c.call(verb::post, "/v1/chat/completions", chat_body(), auth_headers());
      out.latency_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
      if (r.status == 200u) {
        ++out.ok;
        const auto pos = r.body.find("\"model\":\"");
        ++out.served_by[r.body.substr(pos + 9, r.body.find('"', pos + 9) - pos - 9)];
      } else {
        ++out.failed;
      }
      if (r.error) {  // the connection closed after an error answer: reconnect
        c.close();
        BOOST_REQUIRE(!co_await c.connect(h.port()));
      }
    }
  }(), std::chrono::seconds(120));
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(strategies_keep_clients_served_through_a_down_a_flaky_and_a_slow_target) {
  const auto baseline = simulate("failover", false, 100);
  std::printf("\n| strategy | success | p50 ms | p99 ms | mean ms | served by (down/flaky/slow) |\n|---|---|---|---|---|---|\n");
  std::printf("| no faults (baseline: the first target serves) | %.1f%% | %.2f | %.2f | %.2f | - |\n",
              100.0 * baseline.ok / (baseline.ok + baseline.failed), baseline.percentile(0.5), baseline.percentile(0.99), baseline.mean());
  for (const char* strategy : {"failover", "weighted", "health", "lowest-latency"}) {
    const auto o = simulate(strategy, true);
    const double success = 100.0 * o.ok / (o.ok + o.failed);
    auto served = [&](const char* m) {
      auto it = o.served_by.find(m);
      return it == o.served_by.end() ? 0ull : static_cast<unsigned long long>(it->second);
    };
    std::printf("| %s | %.1f%% | %.2f | %.2f | %.2f | %llu/%llu/%llu |\n", strategy, success, o.percentile(0.5),
                o.percentile(0.99), o.mean(), served("m-down"), served("m-flaky"), served("m-slow"));
    BOOST_TEST_CONTEXT(strategy) {
      BOOST_TEST(success >= 99.0);          // a failure reaches a client only when every try failed
      BOOST_TEST(served("m-down") == 0ull);  // a dead target never answers
    }
  }
  std::fflush(stdout);
}
