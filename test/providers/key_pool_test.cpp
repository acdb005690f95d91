// KeyPool, sans-io: weights (smooth round robin), refused keys set aside for
// the cooldown and tried again, 429s resting a key, declared limits skipping
// a key before the provider refuses, a request's tried keys skipped.
#include <boost/test/unit_test.hpp>

#include <map>

#include "providers/key_pool.hpp"

using namespace switchyard;
using namespace switchyard::providers;

BOOST_AUTO_TEST_SUITE(key_pool)

BOOST_AUTO_TEST_CASE(weights_spread_requests_smoothly) {
  KeyPool pool({ProviderKey{"key-a", 3}, ProviderKey{"key-b", 1}});
  std::string order;
  for (int i = 0; i < 8; ++i) order += pool.pick(0, 0, 1)->key.back();
  BOOST_TEST(order == "aabaaaba");
  const auto v = pool.view(0);
  BOOST_TEST(v[0].requests == 6u);
  BOOST_TEST(v[1].requests == 2u);
  BOOST_TEST(v[0].fingerprint == KeyPool::fingerprint("key-a"));
  BOOST_TEST(v[0].fingerprint.size() == 8u);
  BOOST_TEST(v[0].fingerprint.find("key") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_refused_key_is_set_aside_for_the_cooldown_then_tried_again) {
  KeyPool pool({ProviderKey{"a"}, ProviderKey{"b"}}, 60'000);
  BOOST_TEST(pool.refused(0, 1000));   // logged the first time
  BOOST_TEST(!pool.refused(0, 1001));  // not again
  for (int i = 0; i < 4; ++i) BOOST_TEST(pool.pick(2000, 0, 1)->index == 1u);
  BOOST_TEST(pool.view(2000)[0].state == "set_aside");
  bool a_again = false;
  for (int i = 0; i < 4; ++i) a_again |= pool.pick(61'001, 0, 1)->index == 0u;
  BOOST_TEST(a_again);
  pool.succeeded(0);
  BOOST_TEST(pool.refused(0, 70'000));  // a new refusal after it worked: news again
}

BOOST_AUTO_TEST_CASE(a_throttled_key_rests_and_tried_keys_are_skipped) {
  KeyPool pool({ProviderKey{"a"}, ProviderKey{"b"}});
  pool.throttled(0, 0, 5'000);
  BOOST_TEST(pool.pick(100, 0, 1)->index == 1u);
  BOOST_TEST(pool.view(100)[0].state == "resting");
  BOOST_TEST(!pool.pick(100, 0b10, 1));  // b tried, a resting: none
  BOOST_TEST(pool.pick(5'001, 0b10, 1)->index == 0u);
  pool.throttled(1, 6'000, 0);  // no Retry-After: a second
  BOOST_TEST(!pool.pick(6'500, 0b01, 1));
  BOOST_TEST(pool.pick(7'001, 0b01, 1)->index == 1u);
}

BOOST_AUTO_TEST_CASE(a_key_at_its_declared_limits_is_skipped) {
  ProviderKey limited{"a"};
  limited.limits.requests_per_minute = 2;
  ProviderKey tokens{"b"};
  tokens.limits.tokens_per_minute = 100;
  KeyPool pool({limited, tokens});
  std::map<std::size_t, int> used;
  for (int i = 0; i < 4; ++i) ++used[pool.pick(0, 0, 40)->index];
  BOOST_TEST(used[0] == 2);
  BOOST_TEST(used[1] == 2);  // 80 of its 100 tokens
  BOOST_TEST(!pool.pick(0, 0, 40));  // neither fits now
  BOOST_TEST(pool.view(0)[0].state == "at_limit");
  BOOST_TEST(pool.pick(30'000, 0, 40).has_value());  // refilled
}

BOOST_AUTO_TEST_SUITE_END()
