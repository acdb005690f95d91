// Streams through the Router alone, with scripted fake providers (no
// sockets): a first token that does not come in time fails over with its own
// error code; a stream broken after bytes went out resumes on the next
// target as one answer; a breaker that opens mid-request stops the retries.
#include <boost/test/unit_test.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>

#include "routing/route_resolver.hpp"
#include "routing/router.hpp"
#include "support/fake_provider.hpp"

using namespace switchyard;
using namespace switchyard::test;
using std::chrono::milliseconds;

namespace {

struct Streams {
  asio::io_context ioc{1};
  Config config;
  std::vector<std::shared_ptr<providers::ProviderClient>> clients;
  FakeProvider* a = nullptr;
  FakeProvider* b = nullptr;
  std::unique_ptr<routing::RouteResolver> resolver;
  std::unique_ptr<routing::Router> router;

  explicit Streams(std::function<void(ModelRouteConfig&)> route_setup = {}) {
    for (const char* n : {"a", "b"}) {
      ProviderConfig p;
      p.name = n;
      p.base_url = "http://127.0.0.1:1/v1";
      config.providers.push_back(p);
      auto fake = std::make_unique<FakeProvider>(n);
      (n[0] == 'a' ? a : b) = fake.get();
      clients.push_back(std::move(fake));
    }
    ModelRouteConfig route;
    route.name = "fast";
    route.targets = {TargetConfig{"a", "m"}, TargetConfig{"b", "m"}};
    if (route_setup) route_setup(route);
    config.models.push_back(route);
    config.resilience.base_backoff = milliseconds(1);
    config.resilience.max_backoff = milliseconds(2);
    resolver = std::make_unique<routing::RouteResolver>(config);
    router = std::make_unique<routing::Router>(ioc.get_executor(), config, clients);
  }

  // Opens a stream and reads it to its end: the chunks, and the error that ended it (if any).
  std::pair<std::vector<std::string>, std::optional<Error>> stream() {
    auto plan = resolver->resolve("fast");
    BOOST_REQUIRE(plan);
    auto run = [&]() -> asio::awaitable<std::pair<std::vector<std::string>, std::optional<Error>>> {
      ChatRequest request{boost::json::parse(R"({"model":"fast","stream":true,"messages":[{"role":"user","content":"hi"}]})").as_object(),
                          std::nullopt, "r1"};
      std::vector<std::string> got;
      auto s = co_await router->chat_stream(*plan, request);
      if (!s) co_return std::make_pair(got, std::optional<Error>(s.error()));
      for (;;) {
        auto c = co_await s->next();
        if (!c) co_return std::make_pair(got, std::optional<Error>(c.error()));
        if (!*c) co_return std::make_pair(got, std::optional<Error>());
        got.emplace_back(**c);
      }
    };
    return run_async<std::pair<std::vector<std::string>, std::optional<Error>>>(ioc, run(), std::chrono::seconds(5));
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(no_first_token_in_time_fails_over_with_its_own_error_code) {
  Streams s([](ModelRouteConfig& r) { r.ttft_timeout = milliseconds(50); });
  FakeProvider::Step slow;
  slow.delay = milliseconds(2000);  // would answer far too late
  s.a->script(slow);
  s.a->script(slow);
  auto [chunks, error] = s.stream();
  BOOST_TEST(!error.has_value());
  BOOST_TEST(chunks.size() == 2u);
  BOOST_TEST(s.b->calls() == 1);
  BOOST_TEST(s.a->cancelled() >= 1);  // the slow attempt was cancelled, not left running
  const auto& c = s.router->counters();
  BOOST_TEST(c.ttft_timeouts >= 1u);
  BOOST_TEST(c.failures.count("first_token_timeout") == 1u);
  BOOST_TEST(c.failovers == 1u);
}

BOOST_AUTO_TEST_CASE(a_stream_broken_after_bytes_went_out_resumes_on_the_next_target_as_one_answer) {
  Streams s([](ModelRouteConfig& r) { r.resume = true; });
  FakeProvider::Step breaking;
  breaking.chunks = {R"({"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]})", FakeProvider::content("Hello"),
                     FakeProvider::content(" wor")};
  breaking.break_after = 3;
  s.a->script(breaking);
  FakeProvider::Step rest;
  rest.chunks = {R"({"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]})", FakeProvider::content("ld")};
  s.b->script(rest);
  auto [chunks, error] = s.stream();
  BOOST_TEST(!error.has_value());
  // a's three chunks, then b's content without its role-only opening chunk.
  BOOST_REQUIRE(chunks.size() == 4u);
  BOOST_TEST(chunks[3].find("\"ld\"") != std::string::npos);
  // b was asked to continue what a had said.
  BOOST_REQUIRE(s.b->bodies.size() == 1u);
  BOOST_TEST(s.b->bodies[0].find(R"({"role":"assistant","content":"Hello wor"})") != std::string::npos);
  BOOST_TEST(s.router->counters().resumes == 1u);
  BOOST_TEST(s.router->counters().stream_breaks == 1u);
}

BOOST_AUTO_TEST_CASE(a_break_with_no_target_left_ends_the_stream_with_the_error) {
  Streams s([](ModelRouteConfig& r) { r.resume = true; });
  FakeProvider::Step breaking;
  breaking.break_after = 1;
  s.a->script(breaking);
  s.b->script(FakeProvider::Step{milliseconds(0), upstream_failure(503)});
  s.b->script(FakeProvider::Step{milliseconds(0), upstream_failure(503)});
  auto [chunks, error] = s.stream();
  BOOST_TEST(chunks.size() == 1u);
  BOOST_REQUIRE(error.has_value());
  BOOST_TEST((error->code == errc::upstream_reset));  // the original break stands
}

BOOST_AUTO_TEST_CASE(a_breaker_that_opens_mid_request_stops_the_retries_on_its_target) {
  Streams s;
  s.config.resilience.breaker_failures = 1;  // read by the router when it makes a target's breaker
  s.router = std::make_unique<routing::Router>(s.ioc.get_executor(), s.config, s.clients);
  s.a->script(FakeProvider::Step{milliseconds(0), upstream_failure(503)});
  auto [chunks, error] = s.stream();
  BOOST_TEST(!error.has_value());
  BOOST_TEST(s.a->calls() == 1);  // attempts_per_target is 2, but the circuit opened after the first failure
  BOOST_TEST(s.b->calls() == 1);
  BOOST_TEST(s.router->counters().retries == 0u);
}

BOOST_AUTO_TEST_CASE(a_target_at_its_declared_quota_is_skipped_before_the_provider_says_429) {
  Streams s;
  s.config.providers[0].limits.requests_per_minute = 1;  // provider a: one request a minute
  s.config.models[0].targets[1].limits.requests_per_minute = 1;  // target b: one too
  s.resolver = std::make_unique<routing::RouteResolver>(s.config);
  s.router = std::make_unique<routing::Router>(s.ioc.get_executor(), s.config, s.clients);
  auto [first, e1] = s.stream();
  BOOST_TEST(!e1.has_value());
  BOOST_TEST(s.a->calls() == 1);
  auto [second, e2] = s.stream();  // a's quota is used: b serves it, a is never asked
  BOOST_TEST(!e2.has_value());
  BOOST_TEST(s.a->calls() == 1);
  BOOST_TEST(s.b->calls() == 1);
  auto [third, e3] = s.stream();  // both used up: 429 with the earliest reset
  BOOST_REQUIRE(e3.has_value());
  BOOST_TEST((e3->code == errc::quota_exhausted));
  BOOST_TEST(e3->message.find("1 requests per minute") != std::string::npos, e3->message);
  const int retry_after = std::stoi(e3->retry_after);
  BOOST_TEST(retry_after >= 59);
  BOOST_TEST(retry_after <= 60);
  BOOST_TEST(s.a->calls() == 1);
  BOOST_TEST(s.b->calls() == 1);
  BOOST_TEST(s.router->counters().failures.count("upstream_status") == 0u);  // no provider was made to say 429
}

BOOST_AUTO_TEST_CASE(a_resumed_stream_costs_each_leg_at_its_own_target_s_prices) {
  Streams s([](ModelRouteConfig& r) {
    r.resume = true;
    r.targets[0].output_price = 10.0;  // $ per million tokens
    r.targets[1].output_price = 1.0;
  });
  FakeProvider::Step breaking;
  breaking.chunks = {FakeProvider::content("a"), FakeProvider::content("b"), FakeProvider::content("c")};
  breaking.break_after = 3;  // a relays 3 chunks (about a token each), then breaks
  s.a->script(breaking);
  FakeProvider::Step rest;
  rest.chunks = {FakeProvider::content("d"), FakeProvider::content("e")};
  s.b->script(rest);
  auto plan = s.resolver->resolve("fast");
  BOOST_REQUIRE(plan);
  const double cost = run_async<double>(s.ioc, [&]() -> asio::awaitable<double> {
    ChatRequest request{boost::json::parse(R"({"model":"fast","stream":true,"messages":[{"role":"user","content":"hi"}]})").as_object(),
                        std::nullopt, "r1"};
    auto stream = co_await s.router->chat_stream(*plan, request);
    BOOST_REQUIRE(stream);
    for (;;) {
      auto c = co_await stream->next();
      BOOST_REQUIRE(c);
      if (!*c) break;
    }
    BOOST_TEST(stream->usage().completion_tokens == 5);
    co_return stream->cost_usd();
  }(), std::chrono::seconds(5));
  BOOST_TEST(cost == (3 * 10.0 + 2 * 1.0) / 1e6, boost::test_tools::tolerance(1e-12));  // hand-computed: each leg at its own price
}
