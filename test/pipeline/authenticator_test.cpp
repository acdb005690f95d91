#include <boost/test/unit_test.hpp>

#include "auth/key_store.hpp"
#include "pipeline/authenticator.hpp"

// The pipeline's stages, each in its own file: authenticator (here),
// admission, cache lookup, accounting.

using namespace switchyard;
using pipeline::Access;
using pipeline::Authenticator;

namespace {
const auth::KeyEntry team{"team-a", {}};

Authenticator make(std::string admin_key) {
  return Authenticator(
      [](std::string_view authorization) -> result<pipeline::Identity> {
        if (authorization == "Bearer sk-good") return pipeline::Identity{&team};
        return make_error(errc::invalid_key, "invalid API key");
      },
      std::move(admin_key));
}
}  // namespace

BOOST_AUTO_TEST_SUITE(authenticator)

BOOST_AUTO_TEST_CASE(open_endpoints_need_no_key) {
  auto a = make("");
  auto r = a.check(Access::open, "", "/health");
  BOOST_REQUIRE(r.has_value());
  BOOST_TEST(r->key == nullptr);
}

BOOST_AUTO_TEST_CASE(client_endpoints_hand_out_the_key_entry_or_the_key_stores_error) {
  auto a = make("admin-secret-key");
  auto ok = a.check(Access::client_key, "Bearer sk-good", "/v1/chat/completions");
  BOOST_REQUIRE(ok.has_value());
  BOOST_TEST(ok->key->name == "team-a");
  auto bad = a.check(Access::client_key, "Bearer sk-bad", "/v1/chat/completions");
  BOOST_REQUIRE(bad.has_error());
  BOOST_TEST((bad.error().code == errc::invalid_key));
  // The admin key is no client key.
  BOOST_TEST(a.check(Access::client_key, "Bearer admin-secret-key", "/v1/models").has_error());
}

BOOST_AUTO_TEST_CASE(admin_endpoints_take_the_admin_key_bare_or_as_bearer) {
  auto a = make("admin-secret-key");
  BOOST_TEST(a.check(Access::admin_key, "Bearer admin-secret-key", "/v1/providers").has_value());
  BOOST_TEST(a.check(Access::admin_key, "admin-secret-key", "/v1/providers").has_value());
  for (const char* wrong : {"", "Bearer ", "Bearer admin-secret-kez", "Bearer admin-secret-key2", "Bearer sk-good"}) {
    auto r = a.check(Access::admin_key, wrong, "/v1/providers");
    BOOST_TEST_CONTEXT(wrong) {
      BOOST_REQUIRE(r.has_error());
      BOOST_TEST((r.error().code == errc::invalid_key));
      BOOST_TEST(r.error().message.find("admin-secret-key") == std::string::npos);
    }
  }
}

BOOST_AUTO_TEST_CASE(without_an_admin_key_admin_endpoints_do_not_exist) {
  auto a = make("");
  auto r = a.check(Access::admin_key, "Bearer anything", "/v1/providers");
  BOOST_REQUIRE(r.has_error());
  BOOST_TEST((r.error().code == errc::not_found));
  BOOST_TEST(r.error().message.find("admin_key") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
