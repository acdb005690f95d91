#include <boost/test/unit_test.hpp>

#include "governance/key_limiter.hpp"

using namespace switchyard;
using namespace switchyard::governance;

BOOST_AUTO_TEST_SUITE(key_limiter)

BOOST_AUTO_TEST_CASE(a_request_takes_from_every_window_or_from_none_and_the_longest_wait_is_told) {
  LimitsConfig c;
  c.requests_per_minute = 2;
  c.tokens_per_minute = 1000;
  KeyLimiter k(c);
  BOOST_TEST(!k.admit(400, 0).has_value());
  BOOST_TEST(!k.admit(400, 0).has_value());
  const auto refused = k.admit(100, 0);  // tokens would fit (200 left); requests do not
  BOOST_REQUIRE(refused.has_value());
  BOOST_TEST(refused->limit == "2 requests per minute");
  BOOST_TEST(refused->retry_after_ms == 30'000);
  BOOST_TEST(k.tokens(0).remaining == 200u);  // nothing was taken by the refused request
  BOOST_TEST(k.requests(0).remaining == 0u);
  BOOST_TEST(k.requests(0).limit == 2u);
}

BOOST_AUTO_TEST_CASE(a_reservation_is_reconciled_with_what_the_answer_used) {
  LimitsConfig c;
  c.tokens_per_minute = 5000;
  c.tokens_per_day = 100'000;
  KeyLimiter k(c);
  BOOST_TEST(!k.admit(5000, 0).has_value());
  BOOST_TEST(k.tokens(0).remaining == 0u);
  k.finish(5000, 300, 0);  // reserved 5,000, used 300: 4,700 come back
  BOOST_TEST(k.tokens(0).remaining == 4700u);
  BOOST_TEST(!k.admit(4700, 0).has_value());
  k.finish(4700, 9000, 0);  // used more than reserved (a long stream): charged
  BOOST_TEST(k.tokens(0).remaining == 0u);
  BOOST_TEST(k.admit(1, 0).has_value());
}

BOOST_AUTO_TEST_CASE(a_concurrency_slot_is_held_until_the_request_finishes) {
  LimitsConfig c;
  c.concurrent = 1;
  KeyLimiter k(c);
  BOOST_TEST(!k.admit(0, 0).has_value());
  auto refused = k.admit(0, 10);
  BOOST_REQUIRE(refused.has_value());
  BOOST_TEST(refused->limit == "1 concurrent requests");
  k.finish(0, 0, 20);
  BOOST_TEST(!k.admit(0, 20).has_value());
}

BOOST_AUTO_TEST_CASE(a_request_larger_than_a_limit_is_told_that_waiting_will_not_help) {
  LimitsConfig c;
  c.tokens_per_minute = 100;
  KeyLimiter k(c);
  auto refused = k.admit(500, 0);
  BOOST_REQUIRE(refused.has_value());
  BOOST_TEST(!refused->ever);
  BOOST_TEST(refused->limit.find("100 tokens per minute") == 0u);
}

BOOST_AUTO_TEST_CASE(without_limits_nothing_is_counted) {
  KeyLimiter k(LimitsConfig{});
  BOOST_TEST(!k.limited());
  for (int i = 0; i < 1000; ++i) BOOST_TEST(!k.admit(1'000'000, 0).has_value());
  BOOST_TEST(k.requests(0).limit == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
