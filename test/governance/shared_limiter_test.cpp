// governance/shared_limiter: one key's limits counted in a real Redis and
// shared by three "replicas" (three clients): exactly the limit gets through
// however the requests are spread; token reservations reconciled; concurrency
// slots freed, and expiring when a replica never frees them; a Redis that lost
// its scripts (NOSCRIPT) still answers; a Redis that does not answer is nullopt.
#include <boost/test/unit_test.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "governance/shared_limiter.hpp"
#include "support/async.hpp"
#include "support/redis_server.hpp"

using namespace switchyard;
using namespace switchyard::governance;
using namespace switchyard::test;
using std::chrono::milliseconds;

namespace {
struct Replicas {
  RedisServer server;
  asio::io_context ioc;
  std::vector<std::unique_ptr<state::RedisClient>> clients;
  std::vector<std::unique_ptr<SharedLimiter>> limiters;
  explicit Replicas(int n, milliseconds slot_ttl = std::chrono::minutes(10)) {
    state::RedisEndpoint e;
    e.port = server.port();
    for (int i = 0; i < n; ++i) {
      clients.push_back(std::make_unique<state::RedisClient>(ioc.get_executor(), e));
      limiters.push_back(std::make_unique<SharedLimiter>(*clients.back(), "test:", milliseconds(1000), slot_ttl));
    }
  }
  // `n` admissions at once, spread over the replicas in turn; how many got through.
  int admit_at_once(int n, const LimitsConfig& limits, std::uint64_t tokens, Ms now, std::string subject = "key:team") {
    int admitted = 0, answered = 0;
    for (int i = 0; i < n; ++i) {
      asio::co_spawn(ioc, [&, i]() -> asio::awaitable<void> {
        auto v = co_await limiters[static_cast<std::size_t>(i) % limiters.size()]->admit(subject, limits, tokens, "slot-" + std::to_string(i), now);
        ++answered;
        if (v && !v->refused) ++admitted;
      }, asio::detached);
    }
    run_async(ioc, [&]() -> asio::awaitable<void> { co_await eventually([&] { return answered == n; }); }());
    BOOST_TEST(answered == n);
    return admitted;
  }
};
constexpr Ms kNow = 1'800'000'000'000;
}  // namespace

BOOST_AUTO_TEST_SUITE(shared_limiter)

BOOST_AUTO_TEST_CASE(three_replicas_let_exactly_the_limit_through) {
  Replicas r(3);
  LimitsConfig limits;
  limits.requests_per_minute = 10;
  BOOST_TEST(r.admit_at_once(30, limits, 0, kNow) == 10);
  // The refusal says which limit and when to come back (the bucket refills 1 every 6 s).
  auto v = run_async(r.ioc, r.limiters[0]->admit("key:team", limits, 0, "late", kNow));
  BOOST_REQUIRE(v);
  BOOST_REQUIRE(v->refused);
  BOOST_TEST(v->refused->limit == "10 requests per minute");
  BOOST_TEST(v->refused->retry_after_ms == 6000);
  // A minute later the bucket is full again; another key never shared it.
  BOOST_TEST(r.admit_at_once(30, limits, 0, kNow + 60'000) == 10);
  auto other = run_async(r.ioc, r.limiters[1]->admit("key:other", limits, 0, "x", kNow));
  BOOST_TEST((other && !other->refused));
}

BOOST_AUTO_TEST_CASE(hour_and_day_windows_and_token_reservations_reconciled) {
  Replicas r(2);
  LimitsConfig limits;
  limits.requests_per_hour = 5;
  limits.tokens_per_minute = 1000;
  auto& a = *r.limiters[0];
  auto& b = *r.limiters[1];
  auto first = run_async(r.ioc, a.admit("key:t", limits, 400, "1", kNow));
  BOOST_REQUIRE((first && !first->refused));
  BOOST_TEST(first->windows.size() == 2u);
  BOOST_TEST(first->windows[0].first == "requests_per_hour");
  BOOST_TEST(first->windows[0].second.remaining == 4u);
  BOOST_TEST(first->windows[1].second.remaining == 600u);
  BOOST_TEST((run_async(r.ioc, b.admit("key:t", limits, 400, "2", kNow)) && true));
  auto third = run_async(r.ioc, a.admit("key:t", limits, 400, "3", kNow));
  BOOST_REQUIRE(third);
  BOOST_REQUIRE(third->refused);
  BOOST_TEST(third->refused->limit == "1000 tokens per minute");
  // The two answers used 100 tokens each: 600 come back, and the third fits.
  BOOST_TEST(run_async(r.ioc, a.finish("key:t", limits, 400, 100, "1", kNow)));
  BOOST_TEST(run_async(r.ioc, b.finish("key:t", limits, 400, 100, "2", kNow)));
  auto again = run_async(r.ioc, b.admit("key:t", limits, 400, "4", kNow));
  BOOST_TEST((again && !again->refused));
  // More than the limit at once can never fit: said so.
  auto huge = run_async(r.ioc, a.admit("key:t", limits, 5000, "5", kNow));
  BOOST_TEST((huge && huge->refused && !huge->refused->ever));
  // The hour: 3 requests taken (a refused one takes nothing); 2 more fit, the 6th does not.
  LimitsConfig hour;
  hour.requests_per_hour = 5;
  BOOST_TEST(r.admit_at_once(5, hour, 0, kNow + 1000, "key:t") == 2);
}

BOOST_AUTO_TEST_CASE(concurrency_slots_are_freed_and_expire_when_never_freed) {
  Replicas r(2, milliseconds(5000));
  LimitsConfig limits;
  limits.concurrent = 2;
  auto& a = *r.limiters[0];
  BOOST_TEST((!run_async(r.ioc, a.admit("key:c", limits, 0, "s1", kNow))->refused));
  BOOST_TEST((!run_async(r.ioc, r.limiters[1]->admit("key:c", limits, 0, "s2", kNow))->refused));
  auto full = run_async(r.ioc, a.admit("key:c", limits, 0, "s3", kNow + 10));
  BOOST_REQUIRE(full->refused);
  BOOST_TEST(full->refused->limit == "2 concurrent requests");
  BOOST_TEST(full->refused->retry_after_ms == 4990);  // when the oldest slot would expire
  BOOST_TEST(run_async(r.ioc, a.finish("key:c", limits, 0, 0, "s1", kNow + 20)));
  BOOST_TEST((!run_async(r.ioc, a.admit("key:c", limits, 0, "s3", kNow + 30))->refused));
  // s2's replica crashed: its slot is gone once its time is up.
  BOOST_TEST((run_async(r.ioc, a.admit("key:c", limits, 0, "s4", kNow + 4000))->refused.has_value()));
  BOOST_TEST((!run_async(r.ioc, a.admit("key:c", limits, 0, "s4", kNow + 5001))->refused));
}

// finish_soon(): the end of a request rides with the next admission's script
// (applied before it is judged: the freed slot and the tokens given back count),
// or leaves alone after a short delay when no admission comes.
BOOST_AUTO_TEST_CASE(finishes_are_folded_into_the_next_admission_or_sent_after_a_delay) {
  Replicas r(1);
  LimitsConfig limits;
  limits.concurrent = 1;
  limits.tokens_per_minute = 1000;
  auto& a = *r.limiters[0];
  BOOST_TEST((!run_async(r.ioc, a.admit("key:f", limits, 900, "s1", kNow))->refused));
  a.finish_soon("key:f", limits, 900, 100, "s1");  // queued: nothing sent yet
  // Same reactor turn: the slot and 800 tokens come back inside this admission's script.
  auto next = run_async(r.ioc, a.admit("key:f", limits, 800, "s2", kNow + 1));
  BOOST_REQUIRE(next);
  BOOST_TEST(!next->refused);
  // No admission follows: the finish goes alone after the delay, and the slot is free again.
  a.finish_soon("key:f", limits, 800, 0, "s2");
  run_async(r.ioc, [&]() -> asio::awaitable<void> {
    asio::steady_timer t(r.ioc, milliseconds(50));  // past finish_delay (2 ms)
    co_await t.async_wait(asio::use_awaitable);
  }());
  auto third = run_async(r.ioc, r.clients[0]->command({"ZCARD", "test:{key:f}:slots"}, milliseconds(1000)));
  BOOST_REQUIRE(third);
  BOOST_TEST(third->integer == 0);
  auto fourth = run_async(r.ioc, a.admit("key:f", limits, 900, "s3", kNow + 2));
  BOOST_REQUIRE(fourth);
  BOOST_TEST(!fourth->refused);  // 100 used + 900: the 800 of s2 were given back
}

BOOST_AUTO_TEST_CASE(a_redis_without_the_scripts_or_without_answers) {
  Replicas r(1);
  LimitsConfig limits;
  limits.requests_per_minute = 3;
  auto& a = *r.limiters[0];
  BOOST_TEST((!run_async(r.ioc, a.admit("key:n", limits, 0, "1", kNow))->refused));
  BOOST_REQUIRE(run_async(r.ioc, r.clients[0]->command({"SCRIPT", "FLUSH"}, milliseconds(1000))));
  auto after = run_async(r.ioc, a.admit("key:n", limits, 0, "2", kNow));  // NOSCRIPT, then EVAL
  BOOST_REQUIRE(after);
  BOOST_TEST(!after->refused);
  BOOST_TEST(after->windows[0].second.remaining == 1u);
  r.server.pause();
  auto none = run_async(r.ioc, a.admit("key:n", limits, 0, "3", kNow));
  BOOST_TEST(!none);  // the caller falls back or refuses
  r.server.resume();
}

BOOST_AUTO_TEST_SUITE_END()
