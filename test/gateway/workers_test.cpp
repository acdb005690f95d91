// Every core: the real gateway with four worker reactors (threads with their
// own event loop and listener on one port; the kernel spreads connections
// over them) and the mock on loopback. What a key's limits, budget and a
// target's breaker count is one figure for all workers: exact, never four
// times the limit.
#include <boost/test/unit_test.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/json.hpp>

#include <sys/resource.h>

#include "support/gateway_harness.hpp"

using namespace switchyard;
using namespace switchyard::test;
using http::verb;

namespace {
constexpr std::size_t kWorkers = 4;

// Enough descriptors for hundreds of connections on both sides of the gateway.
void raise_fd_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
}

// `n` requests at once, each on a connection of its own (spread over the workers); their statuses.
std::vector<unsigned> at_once(GatewayHarness& h, int n, const std::string& body = chat_body()) {
  std::vector<unsigned> statuses;
  int done = 0;
  for (int i = 0; i < n; ++i) {
    asio::co_spawn(h.ioc(), http_call(h.port(), verb::post, "/v1/chat/completions", body, auth_headers()),
                   [&](std::exception_ptr, HttpResult r) {
                     statuses.push_back(r.status);
                     ++done;
                   });
  }
  h.run([&]() -> asio::awaitable<void> { co_await eventually([&] { return done == n; }, std::chrono::seconds(30)); }(),
        std::chrono::seconds(40));
  return statuses;
}

std::size_t count(const std::vector<unsigned>& v, unsigned status) { return static_cast<std::size_t>(std::count(v.begin(), v.end(), status)); }

std::string metrics(GatewayHarness& h) { return h.run(http_call(h.port(), verb::get, "/metrics", "")).body; }
}  // namespace

BOOST_AUTO_TEST_SUITE(workers)

BOOST_AUTO_TEST_CASE(four_hundred_requests_at_once_over_four_workers_admit_exactly_the_limit) {
  raise_fd_limit();
  GatewayHarness h({}, [](Config& c) { c.keys[0].limits.requests_per_minute = 100; }, kWorkers);
  BOOST_REQUIRE_EQUAL(h.workers(), kWorkers);
  const auto statuses = at_once(h, 400);
  BOOST_TEST(statuses.size() == 400u);
  BOOST_TEST(count(statuses, 200) == 100u);  // not 400: one bucket for every worker
  BOOST_TEST(count(statuses, 429) == 300u);
  BOOST_TEST(h.mock().stats().requests == 100u);
  const auto m = metrics(h);
  BOOST_TEST(metric(m, R"(switchyard_limit_rejections_total{key="test",limit="100 requests per minute"})") == 300);
  BOOST_TEST(metric(m, R"(switchyard_refused_requests_total{ledger="row"})") + metric(m, R"(switchyard_refused_requests_total{ledger="sampled_out"})") == 300);
  // Every worker served some (the kernel spread the connections), and the views add them up.
  BOOST_TEST(metric(m, R"(switchyard_route_requests_total{route="fast"})") == 100);
}

BOOST_AUTO_TEST_CASE(a_budget_spent_across_workers_refuses_at_the_same_total_as_with_one) {
  auto spend_until_refused = [](std::size_t workers) {
    GatewayHarness h({}, [](Config& c) {
      c.models[0].targets[0].input_price = 1'000'000;  // $1 a prompt token
      c.keys[0].budget = BudgetConfig{20.0, BudgetPeriod::month};
    }, workers);
    int answered = 0;
    for (int i = 0; i < 50; ++i) {  // one at a time, each on a new connection: any worker
      auto r = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body(), auth_headers()));
      if (r.status != 200) {
        BOOST_TEST(r.status == 429u);
        break;
      }
      ++answered;
    }
    auto u = h.run(http_call(h.port(), verb::get, "/v1/usage", "", auth_headers()));
    const double spent = boost::json::parse(u.body).as_object().at("budget").as_object().at("spent_usd").as_double();
    return std::make_pair(answered, spent);
  };
  const auto one = spend_until_refused(1);
  const auto four = spend_until_refused(kWorkers);
  BOOST_TEST(one.first > 1);
  BOOST_TEST(four.first == one.first);
  BOOST_TEST(four.second == one.second, boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(a_breaker_opened_by_failures_seen_on_several_workers_opens_once) {
  raise_fd_limit();
  mock::MockOptions mo;
  mo.defaults.status = 500;
  mo.defaults.ttft = std::chrono::milliseconds(50);  // they fail together, on every worker
  GatewayHarness h(mo, [](Config& c) {
    c.resilience.attempts_per_target = 1;
    c.resilience.breaker_failures = 5;
    c.resilience.breaker_cooldown = Millis(60'000);
  }, kWorkers);
  const auto statuses = at_once(h, 40);
  BOOST_TEST(statuses.size() == 40u);
  BOOST_TEST(count(statuses, 200) == 0u);
  const auto m = metric(metrics(h), R"(switchyard_circuit_opens_total{provider="mock",model="mock-fast"})");
  BOOST_TEST(m == 1);  // failures that arrive once it is open do not open it again
  BOOST_TEST(metric(metrics(h), R"(switchyard_circuit_state{provider="mock",model="mock-fast"})") == 2);
  // Once open, no worker sends it anything: the requests after it opened never reached the provider.
  const auto before = h.mock().stats().requests;
  const auto later = at_once(h, 20);
  BOOST_TEST(count(later, 200) == 0u);
  BOOST_TEST(h.mock().stats().requests == before);
}

BOOST_AUTO_TEST_CASE(a_reload_under_load_reaches_every_worker_and_loses_no_request) {
  raise_fd_limit();
  mock::MockOptions mo;
  mo.defaults.ttft = std::chrono::milliseconds(20);
  GatewayHarness h(mo, {}, kWorkers);
  std::vector<unsigned> statuses;
  int done = 0;
  constexpr int kRequests = 200;
  for (int i = 0; i < kRequests; ++i) {
    asio::co_spawn(h.ioc(), http_call(h.port(), verb::post, "/v1/chat/completions", chat_body(), auth_headers()),
                   [&](std::exception_ptr, HttpResult r) {
                     statuses.push_back(r.status);
                     ++done;
                   });
  }
  // While they run: a reload adds a key and a route; every worker takes it.
  Config next = h.gateway().config();
  next.keys.push_back(KeyConfig{"second", "sy-second-key-000000001", {}});
  next.models.push_back(ModelRouteConfig{"also", Strategy::failover, {TargetConfig{"mock", "mock-also"}}});
  BOOST_REQUIRE(h.gateway().reload(next));
  h.run(h.gateway().settled());
  h.run([&]() -> asio::awaitable<void> { co_await eventually([&] { return done == kRequests; }, std::chrono::seconds(30)); }(),
        std::chrono::seconds(40));
  BOOST_TEST(count(statuses, 200) == static_cast<std::size_t>(kRequests));
  for (int i = 0; i < 16; ++i) {  // new connections, so every worker is asked
    auto r = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body("also"), auth_headers("sy-second-key-000000001")));
    BOOST_TEST(r.status == 200u);
  }
}

BOOST_AUTO_TEST_SUITE_END()
