#define BOOST_TEST_MODULE hedge
// The hedge rule, with scripted fake providers and the Router alone (no
// sockets): once a hedge runs, a failure of either try waits for the other;
// the request moves on only when both have failed.
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

struct Fixture {
  asio::io_context ioc{1};
  Config config;
  std::vector<std::shared_ptr<providers::ProviderClient>> clients;
  FakeProvider* a = nullptr;
  FakeProvider* b = nullptr;
  FakeProvider* c = nullptr;

  Fixture() {
    for (const char* n : {"a", "b", "c"}) {
      ProviderConfig p;
      p.name = n;
      p.base_url = "http://127.0.0.1:1/v1";
      config.providers.push_back(p);
      auto fake = std::make_unique<FakeProvider>(n);
      (n[0] == 'a' ? a : n[0] == 'b' ? b : c) = fake.get();
      clients.push_back(std::move(fake));
    }
    ModelRouteConfig route;
    route.name = "fast";
    route.targets = {TargetConfig{"a", "m"}, TargetConfig{"b", "m"}, TargetConfig{"c", "m"}};
    route.hedge_after = milliseconds(100);
    config.models.push_back(route);
    config.resilience.attempts_per_target = 2;
    config.resilience.base_backoff = milliseconds(1);
    config.resilience.max_backoff = milliseconds(2);
    config.resilience.breaker_failures = 1000;
  }

  // Runs one non-streamed request; returns it and how long it took.
  std::pair<result<ChatResponse>, milliseconds> chat() {
    routing::RouteResolver resolver(config);
    routing::TargetRegistry targets(config);
    routing::Router router(ioc.get_executor(), config, clients, targets, nullptr);
    auto plan = resolver.resolve("fast");
    BOOST_REQUIRE(plan);
    ChatRequest request{boost::json::parse(R"({"model":"fast","messages":[{"role":"user","content":"hi"}]})").as_object(), std::nullopt, "r1"};
    const auto t0 = std::chrono::steady_clock::now();
    auto r = run_async<result<ChatResponse>>(ioc, router.chat(*plan, request), std::chrono::seconds(5));
    return {std::move(r), std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - t0)};
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(the_first_try_failing_while_the_hedge_runs_waits_for_the_hedge) {
  Fixture f;
  f.a->script({milliseconds(150), upstream_failure(503)});  // fails at t=150
  f.b->script({milliseconds(100)});                          // hedge from t=100, answers at t=200
  auto [r, took] = f.chat();
  BOOST_REQUIRE(r);
  BOOST_TEST(r->provider == "b");
  BOOST_TEST(f.a->calls() == 1);  // not started again
  BOOST_TEST(f.b->calls() == 1);  // one hedge attempt
  BOOST_TEST(f.b->cancelled() == 0);
  BOOST_TEST(f.c->calls() == 0);
  BOOST_TEST(took.count() >= 190);
  BOOST_TEST(took.count() < 400);
}

BOOST_AUTO_TEST_CASE(the_hedge_failing_while_the_first_try_runs_waits_for_the_first) {
  Fixture f;
  f.a->script({milliseconds(250)});                          // answers at t=250
  f.b->script({milliseconds(20), upstream_failure(500)});    // hedge from t=100 fails at t=120
  auto [r, took] = f.chat();
  BOOST_REQUIRE(r);
  BOOST_TEST(r->provider == "a");
  BOOST_TEST(f.a->calls() == 1);
  BOOST_TEST(f.b->calls() == 1);
  BOOST_TEST(f.c->calls() == 0);
}

BOOST_AUTO_TEST_CASE(when_both_fail_the_request_moves_on_past_both) {
  Fixture f;
  f.a->script({milliseconds(150), upstream_failure(503)});
  f.b->script({milliseconds(100), upstream_failure(503)});  // fails at t=200: both failed
  f.c->script({milliseconds(10)});
  auto [r, took] = f.chat();
  BOOST_REQUIRE(r);
  BOOST_TEST(r->provider == "c");
  BOOST_TEST(f.a->calls() == 1);  // no restart of a...
  BOOST_TEST(f.b->calls() == 1);  // ...nor b as a target of its own
  BOOST_TEST(f.c->calls() == 1);
}

BOOST_AUTO_TEST_CASE(a_first_try_that_fails_before_the_hedge_starts_is_retried_as_before) {
  Fixture f;
  f.a->script({milliseconds(20), upstream_failure(503)});  // fails at t=20, before the hedge delay
  f.a->script({milliseconds(20)});                         // the retry answers
  auto [r, took] = f.chat();
  BOOST_REQUIRE(r);
  BOOST_TEST(r->provider == "a");
  BOOST_TEST(f.a->calls() == 2);
  BOOST_TEST(f.b->calls() == 0);
}

BOOST_AUTO_TEST_CASE(a_hedge_that_answers_first_wins_and_the_first_try_is_cancelled) {
  Fixture f;
  f.a->script({milliseconds(1000)});
  f.b->script({milliseconds(50)});
  auto [r, took] = f.chat();
  BOOST_REQUIRE(r);
  BOOST_TEST(r->provider == "b");
  BOOST_TEST(f.a->cancelled() == 1);
  BOOST_TEST(took.count() < 500);
}
