#include <boost/test/unit_test.hpp>

#include "auth/glob.hpp"
#include "auth/key_store.hpp"

using namespace switchyard;
using namespace switchyard::auth;

BOOST_AUTO_TEST_CASE(glob_matching) {
  BOOST_TEST(glob_match("*", ""));
  BOOST_TEST(glob_match("*", "anything/at/all"));
  BOOST_TEST(glob_match("oai/*", "oai/gpt-4o"));
  BOOST_TEST(!glob_match("oai/*", "oaix/gpt-4o"));
  BOOST_TEST(glob_match("gpt-4?-mini", "gpt-4o-mini"));
  BOOST_TEST(!glob_match("gpt-4?-mini", "gpt-4-mini"));
  BOOST_TEST(glob_match("*mini*", "openai/gpt-4o-mini-2024"));
  BOOST_TEST(!glob_match("fast", "faster"));
  BOOST_TEST(glob_match("a*b*c", "aXXbYYc"));
  BOOST_TEST(!glob_match("a*b*c", "aXXbYY"));
}

BOOST_AUTO_TEST_CASE(authenticates_bearer_and_bare_keys) {
  KeyStore ks({KeyConfig{"team-a", "sy-aaaaaaaa", {"fast", "oai/*"}}, KeyConfig{"admin", "sy-bbbbbbbb", {}}});
  auto a = ks.authenticate("Bearer sy-aaaaaaaa");
  BOOST_REQUIRE(a);
  BOOST_TEST((*a)->name == "team-a");
  auto lower = ks.authenticate("bearer sy-bbbbbbbb");
  BOOST_REQUIRE(lower);
  BOOST_TEST((*lower)->name == "admin");
  auto bare = ks.authenticate("sy-bbbbbbbb");  // x-api-key style
  BOOST_REQUIRE(bare);
}

BOOST_AUTO_TEST_CASE(missing_and_wrong_keys_are_distinct_errors_without_echoing_the_key) {
  KeyStore ks({KeyConfig{"team-a", "sy-aaaaaaaa", {}}});
  auto missing = ks.authenticate("");
  BOOST_REQUIRE(!missing);
  BOOST_TEST((missing.error().code == errc::missing_key));
  auto wrong = ks.authenticate("Bearer sy-wrong-key-123");
  BOOST_REQUIRE(!wrong);
  BOOST_TEST((wrong.error().code == errc::invalid_key));
  BOOST_TEST(wrong.error().message.find("sy-wrong-key-123") == std::string::npos);
  BOOST_TEST(!ks.authenticate("Bearer sy-aaaaaaa"));   // prefix of a real key
  BOOST_TEST(!ks.authenticate("Bearer sy-aaaaaaaaa"));  // longer than a real key
}

BOOST_AUTO_TEST_CASE(model_restrictions_use_globs) {
  KeyEntry restricted{"team-a", {"fast", "oai/*"}};
  BOOST_TEST(KeyStore::allows(restricted, "fast"));
  BOOST_TEST(KeyStore::allows(restricted, "oai/gpt-4o"));
  BOOST_TEST(!KeyStore::allows(restricted, "smart"));
  BOOST_TEST(!KeyStore::allows(restricted, "anthropic/claude"));
  KeyEntry open{"admin", {}};
  BOOST_TEST(KeyStore::allows(open, "anything"));
}

BOOST_AUTO_TEST_CASE(a_key_used_again_is_accepted_and_near_misses_are_refused) {
  KeyStore ks({KeyConfig{"team-a", "sy-aaaaaaaa", {}}, KeyConfig{"team-b", "sy-bbbbbbbb", {}}});
  for (int i = 0; i < 3; ++i) {
    auto a = ks.authenticate("Bearer sy-aaaaaaaa");
    BOOST_REQUIRE(a);
    BOOST_TEST((*a)->name == "team-a");
  }
  BOOST_TEST(!ks.authenticate("Bearer sy-aaaaaaab"));  // same length, one byte off
  auto b = ks.authenticate("Bearer sy-bbbbbbbb");
  BOOST_REQUIRE(b);
  BOOST_TEST((*b)->name == "team-b");
  for (int i = 0; i < 20; ++i) BOOST_TEST(!ks.authenticate("Bearer sy-wrong-" + std::to_string(i)));
  BOOST_TEST((*ks.authenticate("sy-aaaaaaaa"))->name == "team-a");
}
