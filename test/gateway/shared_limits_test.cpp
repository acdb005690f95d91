// Integration: three gateways on one real redis-server share a key's rate
// limit exactly (over HTTP and through the embedded API); when Redis goes
// away requests are still answered by each replica's own counters, /health
// says degraded and why, and shared counting resumes when Redis is back;
// with on_redis_error = "deny" they get a clear 503 instead.
#include <boost/test/unit_test.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "state/redis_client.hpp"
#include "state/redis_url.hpp"
#include "support/gateway_harness.hpp"
#include "support/redis_server.hpp"

using namespace switchyard;
using namespace switchyard::test;
using http::verb;

namespace {
constexpr const char* kRoomyKey = "sy-test-roomy-key-0002";

std::function<void(Config&)> on_redis(const RedisServer& redis, bool deny = false) {
  return [url = redis.url(), deny](Config& c) {
    c.state.backend = StateBackend::redis;
    c.state.redis_url = url;
    c.state.redis_timeout = Millis(500);  // sanitizer builds on a busy CI machine
    c.state.deny_on_redis_error = deny;
    c.keys[0].limits.requests_per_minute = 10;
    c.keys.push_back(KeyConfig{"roomy", kRoomyKey, {}});
    c.keys.back().limits.requests_per_minute = 100000;
  };
}

ChatRequest embedded_request() {
  ChatRequest r{boost::json::parse(chat_body()).as_object()};
  r.api_key = kClientKey;
  return r;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(shared_limits)

BOOST_AUTO_TEST_CASE(three_gateways_on_one_redis_let_exactly_the_limit_through) {
  RedisServer redis;
  GatewayHarness h({}, on_redis(redis));
  BOOST_REQUIRE(metric(h.gateway().metrics_text(), R"(switchyard_state_backend_up{backend="redis"})") >= 0);  // counted in Redis
  Gateway b(h.ioc().get_executor(), h.gateway().config()), c(h.ioc().get_executor(), h.gateway().config());
  int ok = 0, refused = 0, done = 0, over_http_ok = 0;
  auto ex = h.ioc().get_executor();
  for (int i = 0; i < 10; ++i) {
    asio::co_spawn(ex, http_call(h.port(), verb::post, "/v1/chat/completions", chat_body(), auth_headers()), [&](std::exception_ptr, HttpResult r) {
      if (r.status == 200) ++ok, ++over_http_ok;
      if (r.status == 429) {
        ++refused;
        BOOST_TEST(std::string(r.headers["x-ratelimit-limit-requests"]) == "10");
        BOOST_TEST(!r.headers["retry-after"].empty());
      }
      ++done;
    });
    for (Gateway* g : {&b, &c}) {
      asio::co_spawn(ex, g->chat(embedded_request()), [&](std::exception_ptr, result<ChatResponse> r) {
        if (r) ++ok;
        else if (r.error().code == errc::rate_limited) ++refused;
        ++done;
      });
    }
  }
  h.run([&]() -> asio::awaitable<void> { co_await eventually([&] { return done == 30; }, std::chrono::seconds(15)); }());
  BOOST_TEST(done == 30);
  BOOST_TEST(ok == 10);  // not 30: one limit for the three replicas
  BOOST_TEST(refused == 20);
  // Spread: the other replicas got some of the 10 too (with worker threads the HTTP
  // replica answers in parallel and may take all 10: still 10 in all).
  if (h.workers() == 1) BOOST_TEST(over_http_ok < 10);
  BOOST_TEST(h.mock().stats().requests == 10u);
}

BOOST_AUTO_TEST_CASE(without_redis_each_replica_counts_alone_and_health_says_so) {
  RedisServer redis;
  GatewayHarness h({}, on_redis(redis));
  auto ask = [&](const char* key) {
    return h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body(), auth_headers(key)));
  };
  BOOST_TEST(ask(kRoomyKey).status == 200u);
  redis.stop();
  const auto start = std::chrono::steady_clock::now();
  BOOST_TEST(ask(kRoomyKey).status == 200u);  // this replica's own counters decided
  BOOST_TEST((std::chrono::steady_clock::now() - start < std::chrono::milliseconds(2000)));
  auto health = h.run(http_call(h.port(), verb::get, "/health", ""));
  const auto body = boost::json::parse(health.body).as_object();
  BOOST_TEST(body.at("status").as_string() == "degraded");
  BOOST_TEST(std::string(body.at("state_backend").as_string()).find("Redis") != std::string::npos);
  const auto metrics = h.gateway().metrics_text();
  BOOST_TEST(metric(metrics, "switchyard_state_fallback_total") >= 1);
  BOOST_TEST(metric(metrics, R"(switchyard_state_backend_up{backend="redis"})") == 0);
  // The local limit still holds: 10 a minute for the limited key on this replica.
  int local_ok = 0;
  for (int i = 0; i < 12; ++i) local_ok += ask(kClientKey).status == 200u;
  BOOST_TEST(local_ok == 10);
  // Redis back: shared counting resumes (after the reconnection backoff, at most 5 s).
  redis.start();
  const bool back = h.run([&]() -> asio::awaitable<bool> {
    co_return co_await eventually(
        [&] {
          asio::co_spawn(h.ioc(), http_call(h.port(), verb::post, "/v1/chat/completions", chat_body(), auth_headers(kRoomyKey)), asio::detached);
          return h.gateway().health().state_problem.empty() && metric(h.gateway().metrics_text(), R"(switchyard_state_backend_up{backend="redis"})") == 1;
        },
        std::chrono::seconds(10));
  }());
  BOOST_TEST(back);
}

BOOST_AUTO_TEST_CASE(on_redis_error_deny_answers_503) {
  RedisServer redis;
  GatewayHarness h({}, on_redis(redis, true));
  redis.stop();
  auto r = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body(), auth_headers(kRoomyKey)));
  BOOST_TEST(r.status == 503u);
  BOOST_TEST(r.body.find("Redis") != std::string::npos);
  BOOST_TEST(h.mock().stats().requests == 0u);
}

namespace {
// The state settings alone (the key's limits are each test's own).
void on_redis_only(Config& c, const RedisServer& redis) {
  c.state.backend = StateBackend::redis;
  c.state.redis_url = redis.url();
  c.state.redis_timeout = Millis(500);
}

ChatRequest embedded(const std::string& body) {
  ChatRequest r{boost::json::parse(body).as_object()};
  r.api_key = kClientKey;
  return r;
}

// `rounds` chat requests through each gateway at once (embedded calls on the harness's reactor):
// how many succeeded and how many were refused for a quota.
struct Outcomes {
  int ok = 0, exhausted = 0;
};
Outcomes spread_over(GatewayHarness& h, std::initializer_list<Gateway*> gateways, int rounds) {
  const std::string body = chat_body();
  Outcomes o;
  int done = 0;
  const int total = rounds * static_cast<int>(gateways.size());
  for (int i = 0; i < rounds; ++i) {
    for (Gateway* g : gateways) {
      asio::co_spawn(h.ioc(), g->chat(embedded(body)), [&](std::exception_ptr, result<ChatResponse> r) {
        if (r) ++o.ok;
        else if (r.error().code == errc::quota_exhausted || r.error().code == errc::no_target) ++o.exhausted;
        else BOOST_TEST_MESSAGE("unexpected: " << r.error().message);
        ++done;
      });
    }
  }
  h.run([&]() -> asio::awaitable<void> { co_await eventually([&] { return done == total; }, std::chrono::seconds(15)); }());
  return o;
}
}  // namespace

// Tokens: each request reserves max_tokens (100) against 1,000 a minute shared
// by three replicas; the provider is slow, so every admission happens before
// any answer gives tokens back: exactly 10 of 30 get through.
BOOST_AUTO_TEST_CASE(a_token_limit_is_shared_by_three_gateways) {
  RedisServer redis;
  mock::MockOptions slow;
  slow.defaults.ttft = Millis(300);
  GatewayHarness h(slow, [&](Config& c) {
    on_redis_only(c, redis);
    c.keys[0].limits.tokens_per_minute = 1000;
  });
  Gateway b(h.ioc().get_executor(), h.gateway().config()), c(h.ioc().get_executor(), h.gateway().config());
  const std::string body = R"({"model":"fast","max_tokens":100,"messages":[{"role":"user","content":"hi"}]})";
  int ok = 0, refused = 0, done = 0;
  auto ex = h.ioc().get_executor();
  for (int i = 0; i < 10; ++i) {
    for (Gateway* g : {&h.gateway(), &b, &c}) {
      asio::co_spawn(ex, g->chat(embedded(body)), [&](std::exception_ptr, result<ChatResponse> r) {
        if (r) ++ok;
        else if (r.error().code == errc::rate_limited) {
          ++refused;
          BOOST_TEST(r.error().message.find("1000 tokens per minute") != std::string::npos, r.error().message);
        }
        ++done;
      });
    }
  }
  h.run([&]() -> asio::awaitable<void> { co_await eventually([&] { return done == 30; }, std::chrono::seconds(15)); }());
  BOOST_TEST(ok == 10);  // 10 × 100 reserved: one token limit for the three replicas
  BOOST_TEST(refused == 20);
}

// A budget: spend is added up in Redis (per key and period), so once one
// replica's answers spent it, the others refuse too, though each of them
// spent nothing itself.
BOOST_AUTO_TEST_CASE(a_budget_spent_through_one_gateway_is_spent_on_all) {
  RedisServer redis;
  GatewayHarness h({}, [&](Config& c) {
    on_redis_only(c, redis);
    c.models[0].targets[0].input_price = 10000;  // $0.01 a token: any answer costs more than the budget
    c.models[0].targets[0].output_price = 10000;
    c.keys[0].budget = BudgetConfig{0.0001, BudgetPeriod::day};
  });
  Gateway b(h.ioc().get_executor(), h.gateway().config()), c(h.ioc().get_executor(), h.gateway().config());
  state::RedisClient probe(h.ioc().get_executor(), std::get<state::RedisEndpoint>(state::parse_redis_url(redis.url())));
  const std::string body = chat_body();
  h.run([&]() -> asio::awaitable<void> {
    auto first = co_await h.gateway().chat(embedded(body));
    BOOST_REQUIRE(first);
    BOOST_TEST(first->cost_usd > 0.0001);
    // The spend reaches Redis right after the answer (the ticket's finish runs in the background).
    std::vector<std::string> scan{"KEYS", "switchyard:{key:test}:budget:day:*"};
    std::string budget_key;
    asio::steady_timer pause(h.ioc());
    for (int i = 0; i < 250 && budget_key.empty(); ++i) {  // polling Redis: the spend has no other signal
      auto keys = co_await probe.command(scan, std::chrono::milliseconds(1000));
      if (keys && !keys->elements.empty()) budget_key = keys->elements[0].text;
      if (!budget_key.empty()) break;
      pause.expires_after(std::chrono::milliseconds(20));
      co_await pause.async_wait(asio::use_awaitable);
    }
    BOOST_REQUIRE(!budget_key.empty());
    std::vector<std::string> get{"GET", budget_key}, ttl{"PTTL", budget_key};
    auto spent = co_await probe.command(get, std::chrono::milliseconds(1000));
    BOOST_REQUIRE(spent);
    BOOST_TEST(std::stod(spent->text) == first->cost_usd, boost::test_tools::tolerance(1e-6));
    auto expires = co_await probe.command(ttl, std::chrono::milliseconds(1000));
    BOOST_REQUIRE(expires);
    BOOST_TEST(expires->integer > 86'400'000);  // the rest of the day, and a day more
    BOOST_TEST(expires->integer <= 2 * 86'400'000);
    for (Gateway* g : {&b, &c, &h.gateway()}) {
      auto next = co_await g->chat(embedded(body));
      BOOST_REQUIRE(!next);
      BOOST_TEST((next.error().code == errc::budget_exceeded));
      BOOST_TEST(next.error().message.find("budget of $0.000100 per day spent") != std::string::npos, next.error().message);
      BOOST_TEST(!next.error().retry_after.empty());
    }
  }());
  BOOST_TEST(h.mock().stats().requests == 1u);
  probe.close();
}

// The response cache's second tier: an answer fetched through one replica is
// a hit on another (whole and streamed), and with Redis gone a lookup is a
// miss answered by the provider, not an error.
BOOST_AUTO_TEST_CASE(a_cache_entry_written_through_one_replica_is_a_hit_on_another) {
  RedisServer redis;
  GatewayHarness h({}, [&](Config& c) {
    on_redis_only(c, redis);
    c.cache.enabled = true;
    c.cache.per_key = false;  // scope "global": any key's identical request
    c.models[0].cache = true;
  });
  Gateway b(h.ioc().get_executor(), h.gateway().config());
  const std::string body = chat_body();
  auto first = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", body, auth_headers()));
  BOOST_REQUIRE(first.status == 200u);
  BOOST_TEST(std::string(first.headers["x-switchyard-cache"]) == "miss");
  // The store reaches Redis in the background (on the worker that answered, with workers).
  BOOST_TEST(h.run(eventually([&] { return metric(h.gateway().metrics_text(), R"(switchyard_cache_shared_total{result="store"})") == 1; })));
  h.run([&]() -> asio::awaitable<void> {
    // The other replica asks until it is there.
    std::optional<ChatResponse> hit;
    for (int i = 0; i < 100 && !hit; ++i) {
      auto r = co_await b.chat(embedded(body));
      BOOST_REQUIRE(r);
      if (r->cache == CacheStatus::hit) hit = std::move(*r);
    }
    BOOST_REQUIRE(hit.has_value());
    BOOST_TEST(boost::json::parse(hit->body).at("choices").at(0).at("message") ==
               boost::json::parse(first.body).at("choices").at(0).at("message"));
    // Streamed from the stored whole answer, by a third replica.
    Gateway c(h.ioc().get_executor(), h.gateway().config());
    auto streamed = boost::json::parse(body).as_object();
    streamed["stream"] = true;
    ChatRequest sr{streamed};
    sr.api_key = kClientKey;
    auto stream = co_await c.chat_stream(std::move(sr));
    BOOST_REQUIRE(stream);
    BOOST_TEST((stream->cache() == CacheStatus::hit));
    int chunks = 0;
    for (;;) {
      auto chunk = co_await stream->next();
      BOOST_REQUIRE(chunk);
      if (!*chunk) break;
      ++chunks;
    }
    BOOST_TEST(chunks >= 3);
    c.shutdown();
  }());
  const auto misses_before = h.mock().stats().requests;
  BOOST_TEST(misses_before == 1u);  // one fetch for three replicas
  BOOST_TEST(metric(b.metrics_text(), R"(switchyard_cache_shared_total{result="hit"})") >= 1);
  BOOST_TEST(metric(h.gateway().metrics_text(), R"(switchyard_cache_shared_total{result="store"})") == 1);

  // Redis gone: another request is fetched from the provider (a miss), not refused.
  redis.stop();
  Gateway d(h.ioc().get_executor(), h.gateway().config());
  auto other = boost::json::parse(body).as_object();
  other["temperature"] = 0.5;  // a different answer: not in d's own store either
  h.run([&]() -> asio::awaitable<void> {
    ChatRequest r{other};
    r.api_key = kClientKey;
    auto answer = co_await d.chat(std::move(r));
    BOOST_REQUIRE(answer);
    BOOST_TEST((answer->cache == CacheStatus::miss));
    d.shutdown();
  }());
  BOOST_TEST(h.mock().stats().requests == misses_before + 1);
  b.shutdown();
}

// A provider's declared quota is the provider account's: three replicas
// together send it no more than it allows.
BOOST_AUTO_TEST_CASE(a_provider_quota_is_shared_by_three_gateways) {
  RedisServer redis;
  mock::MockOptions slow;
  slow.defaults.ttft = Millis(200);
  GatewayHarness h(slow, [&](Config& c) {
    on_redis_only(c, redis);
    c.providers[0].limits.requests_per_minute = 5;
  });
  Gateway b(h.ioc().get_executor(), h.gateway().config()), c(h.ioc().get_executor(), h.gateway().config());
  const auto [ok, exhausted] = spread_over(h, {&h.gateway(), &b, &c}, 5);
  BOOST_TEST(ok == 5);  // not 15
  BOOST_TEST(exhausted == 10);
  BOOST_TEST(h.mock().stats().requests == 5u);
}

BOOST_AUTO_TEST_CASE(a_provider_keys_limits_are_shared_by_three_gateways) {
  RedisServer redis;
  GatewayHarness h({}, [&](Config& c) {
    on_redis_only(c, redis);
    auto& p = c.providers[0];
    p.api_key.clear();
    p.keys = {ProviderKey{"sk-shared-key-one-0001"}, ProviderKey{"sk-shared-key-two-0002"}};
    for (auto& k : p.keys) k.limits.requests_per_minute = 2;
  });
  Gateway b(h.ioc().get_executor(), h.gateway().config()), c(h.ioc().get_executor(), h.gateway().config());
  const auto [ok, exhausted] = spread_over(h, {&h.gateway(), &b, &c}, 3);
  BOOST_TEST(ok == 4);  // two keys x 2 a minute, not 2 x 2 per gateway
  BOOST_TEST(exhausted == 5);
  BOOST_TEST(h.mock().stats().requests == 4u);
  BOOST_TEST(h.mock().stats().requests_by_authorization.at("Bearer sk-shared-key-one-0001") == 2u);
  BOOST_TEST(h.mock().stats().requests_by_authorization.at("Bearer sk-shared-key-two-0002") == 2u);
}

// A team's limit and its end users' are one for three replicas, as a key's are; the level
// that refused is named.
BOOST_AUTO_TEST_CASE(team_and_user_limits_are_shared_by_three_gateways) {
  RedisServer redis;
  GatewayHarness h({}, [&](Config& c) {
    on_redis_only(c, redis);
    TeamConfig team{"search", {}, {}, std::nullopt, {}, std::nullopt};
    team.limits.requests_per_minute = 6;
    team.user_limits.requests_per_minute = 2;
    c.teams.push_back(team);
    c.keys[0].team = "search";
  });
  Gateway b(h.ioc().get_executor(), h.gateway().config()), c(h.ioc().get_executor(), h.gateway().config());
  int ok = 0, by_team = 0, by_user = 0, done = 0;
  auto ask = [&](Gateway& g, const std::string& user) {
    ChatRequest r = embedded(chat_body());
    r.user = user;
    asio::co_spawn(h.ioc(), g.chat(std::move(r)), [&](std::exception_ptr, result<ChatResponse> a) {
      if (a) ++ok;
      else if (a.error().level == "team") ++by_team;
      else if (a.error().level == "user") ++by_user;
      ++done;
    });
  };
  // alice asks 3 times through each replica: her 2 a minute in all.
  for (int i = 0; i < 3; ++i) {
    for (Gateway* g : {&h.gateway(), &b, &c}) ask(*g, "alice");
  }
  h.run([&]() -> asio::awaitable<void> { co_await eventually([&] { return done == 9; }, std::chrono::seconds(15)); }());
  BOOST_TEST(ok == 2);
  BOOST_TEST(by_user == 7);
  // Then nine other users, once each: the team's 6 a minute in all (alice's 2 among them).
  done = 0;
  int n = 0;
  for (int i = 0; i < 3; ++i) {
    for (Gateway* g : {&h.gateway(), &b, &c}) ask(*g, "user-" + std::to_string(n++));
  }
  h.run([&]() -> asio::awaitable<void> { co_await eventually([&] { return done == 9; }, std::chrono::seconds(15)); }());
  BOOST_TEST(ok == 6);
  BOOST_TEST(by_team == 5);
  BOOST_TEST(h.mock().stats().requests == 6u);
}

// A load balancer reading /health sends a degraded replica no traffic: three replicas
// must find Redis again by themselves, with no request sent.
BOOST_AUTO_TEST_CASE(every_replica_is_healthy_again_after_redis_returns_with_no_traffic) {
  RedisServer redis;
  GatewayHarness h({}, [&](Config& c) {
    on_redis_only(c, redis);
    c.state.health_check_interval = Millis(200);
  });
  Gateway b(h.ioc().get_executor(), h.gateway().config()), c(h.ioc().get_executor(), h.gateway().config());
  const std::vector<Gateway*> replicas{&h.gateway(), &b, &c};
  auto all = [&](bool healthy) {
    for (auto* g : replicas) {  // every reactor: /health is answered by whichever worker took the connection
      for (std::size_t r = 0; r < g->reactors(); ++r) {
        if (g->health(r).state_problem.empty() != healthy) return false;
      }
    }
    return true;
  };
  auto health_status = [&] { return std::string(boost::json::parse(h.run(http_call(h.port(), verb::get, "/health", "")).body).at("status").as_string()); };
  BOOST_TEST(h.run(eventually([&] { return all(true); }, std::chrono::seconds(5))));
  redis.stop();
  BOOST_TEST(h.run(eventually([&] { return all(false); }, std::chrono::seconds(5))));
  BOOST_TEST(health_status() == "degraded");
  redis.start();
  const auto back_from = std::chrono::steady_clock::now();
  BOOST_TEST(h.run(eventually([&] { return all(true); }, std::chrono::seconds(20))));
  BOOST_TEST((std::chrono::steady_clock::now() - back_from < std::chrono::seconds(20)));
  BOOST_TEST(health_status() == "ok");
  BOOST_TEST(h.mock().stats().requests == 0u);  // no client traffic was needed
  for (auto* g : {&b, &c}) g->shutdown();
}

// Redis frozen for a while: the admissions that timed out still run when it resumes; their
// slots are given back right after them (the key was locked out on every replica for the
// slots' 10 minutes), and what was spent meanwhile reaches the shared budget.
BOOST_AUTO_TEST_CASE(a_redis_stall_neither_locks_the_key_out_nor_loses_what_it_spent) {
  RedisServer redis;
  GatewayHarness h({}, [&](Config& c) {
    on_redis_only(c, redis);
    c.state.redis_timeout = Millis(200);
    c.models[0].targets[0].output_price = 1000;  // $0.001 a completion token
    c.keys[0].limits.concurrent = 3;
    c.keys[0].budget = BudgetConfig{1000.0, BudgetPeriod::day};
  });
  state::RedisClient probe(h.ioc().get_executor(), std::get<state::RedisEndpoint>(state::parse_redis_url(redis.url())));
  const std::string body = chat_body();
  double local_spend = 0;
  h.run([&]() -> asio::awaitable<void> {
    auto warm = co_await h.gateway().chat(embedded(body));
    BOOST_REQUIRE(warm);
    local_spend += warm->cost_usd;
  }());
  redis.pause();
  h.run([&]() -> asio::awaitable<void> {
    for (int i = 0; i < 3; ++i) {  // each admission times out: this replica's counters decide
      auto r = co_await h.gateway().chat(embedded(body));
      BOOST_REQUIRE(r);
      local_spend += r->cost_usd;
    }
  }());
  redis.resume();
  // Three at once: the concurrency limit is whole again (the stalled admissions' slots went back).
  int ok = 0, limited = 0, done = 0;
  for (int i = 0; i < 3; ++i) {
    asio::co_spawn(h.ioc(), h.gateway().chat(embedded(body)), [&](std::exception_ptr, result<ChatResponse> r) {
      if (r) ++ok, local_spend += r->cost_usd;
      else if (r.error().code == errc::rate_limited) ++limited;
      ++done;
    });
  }
  h.run(eventually([&] { return done == 3; }, std::chrono::seconds(10)));
  BOOST_TEST(ok == 3);
  BOOST_TEST(limited == 0);
  // Every dollar spent, during the stall too, is in Redis.
  double shared_spend = 0;
  h.run([&]() -> asio::awaitable<void> {
    std::vector<std::string> scan{"KEYS", "switchyard:{key:test}:budget:day:*"};
    asio::steady_timer pause(h.ioc());
    for (int i = 0; i < 250; ++i) {  // polling Redis: the spend has no other signal
      if (auto keys = co_await probe.command(scan, std::chrono::milliseconds(1000)); keys && !keys->elements.empty()) {
        std::vector<std::string> get{"GET", keys->elements[0].text};
        if (auto v = co_await probe.command(get, std::chrono::milliseconds(1000)); v && !v->text.empty()) shared_spend = std::stod(v->text);
      }
      if (shared_spend >= local_spend - 1e-9) break;
      pause.expires_after(std::chrono::milliseconds(20));
      co_await pause.async_wait(asio::use_awaitable);
    }
  }());
  BOOST_TEST(local_spend > 0);
  BOOST_TEST(shared_spend == local_spend, boost::test_tools::tolerance(1e-6));
  probe.close();
}

BOOST_AUTO_TEST_SUITE_END()
