// Integration: clients sign in with their company's identity provider. The
// gateway fetches the provider's JWKS from jwks_url (the mock plays the
// provider), takes RS256/ES256 tokens as bearers, counts them as their team
// ("jwt:<team>") and their user claim as the end user, refuses expired or
// team-less tokens clearly without logging them, lets an administrator's
// token use /admin, and fetches the key set again when a token names a new
// kid (at most once a minute).
#include <boost/test/unit_test.hpp>

#include <boost/json.hpp>

#include <ctime>

#include "support/gateway_harness.hpp"
#include "support/jwt_signer.hpp"

using namespace switchyard;
using namespace switchyard::test;
using http::verb;

namespace {
void with_idp(Config& c) {
  JwtConfig jwt = test_jwt_config();
  jwt.jwks_file.clear();
  const std::string base = c.providers.at(0).base_url;
  jwt.jwks_url = base.substr(0, base.rfind("/v1")) + "/jwks.json";
  jwt.admin_claim = "roles";
  jwt.admin_values = {"gateway-admin"};
  c.auth.jwt = jwt;
  TeamConfig search{"search", {"fast"}, {}, std::nullopt, {}, std::nullopt};
  search.user_limits.requests_per_minute = 1;
  c.teams.push_back(search);
}

Headers bearer(const std::string& token) { return {{"authorization", "Bearer " + token}}; }
std::int64_t now_s() { return static_cast<std::int64_t>(std::time(nullptr)); }
}  // namespace

BOOST_AUTO_TEST_SUITE(jwt_auth)

BOOST_AUTO_TEST_CASE(an_identity_providers_tokens_are_keys_of_their_team_and_name_the_user) {
  TestIdp idp;
  mock::MockOptions opts;
  opts.jwks = idp.jwks();
  GatewayHarness h(opts, with_idp);
  auto chat = [&](const std::string& token) { return h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body(), bearer(token))); };
  const auto alice = idp.token("alice@example.com", {"eng", "search"}, now_s(), "ES256");
  BOOST_TEST(h.run(eventually([&] { return h.mock().stats().jwks_requests >= 1; })));  // fetched at start
  HttpResult first;
  BOOST_TEST(h.run(eventually([&] { return (first = chat(alice)).status != 401; })));  // once the set is in
  BOOST_TEST(first.status == 200u);
  auto again = chat(alice);  // alice's one request a minute (user_limits), named by the token, not the body
  BOOST_TEST(again.status == 429u);
  BOOST_TEST(boost::json::parse(again.body).at("error").at("level").as_string() == "user");
  BOOST_TEST(chat(idp.token("bob@example.com", {"search"}, now_s())).status == 200u);
  // Valid, but no team configured here: 403. Expired: 401 with the reason.
  auto eng = chat(idp.token("carol", {"eng"}, now_s()));
  BOOST_TEST(eng.status == 403u);
  BOOST_TEST(eng.body.find("groups") != std::string::npos);
  const auto expired = idp.token("dave", {"search"}, now_s() - 7200);
  auto old = chat(expired);
  BOOST_TEST(old.status == 401u);
  BOOST_TEST(old.body.find("it expired") != std::string::npos);
  BOOST_TEST(h.log_text().find(expired.substr(0, 40)) == std::string::npos);  // a token is never logged
  BOOST_TEST(h.log_text().find(alice.substr(alice.rfind('.'))) == std::string::npos);
  // The ledger: rows by user, as the token named them.
  const auto admin = idp.sign({{"alg", "RS256"}, {"kid", "rsa-1"}}, {{"iss", "https://login.example.com/"}, {"aud", "switchyard"}, {"sub", "root"},
                                                                    {"roles", boost::json::array{"gateway-admin"}}, {"exp", now_s() + 600}});
  bool both = false;
  BOOST_TEST(h.run(eventually([&] {
    auto usage = h.run(http_call(h.port(), verb::get, "/admin/usage?group=user", "", bearer(admin)));
    both = usage.status == 200 && usage.body.find("alice@example.com") != std::string::npos && usage.body.find("bob@example.com") != std::string::npos;
    return both;
  })));
  // An administrator's token uses /admin, and the audit names it; a user's token does not.
  auto made = h.run(http_call(h.port(), verb::post, "/admin/teams", R"({"name":"ops"})", bearer(admin)));
  BOOST_TEST(made.status == 201u);
  auto audit = h.run(http_call(h.port(), verb::get, "/admin/audit", "", bearer(admin)));
  BOOST_TEST(audit.body.find("\"jwt:root\"") != std::string::npos);
  BOOST_TEST(h.run(http_call(h.port(), verb::get, "/admin/keys", "", bearer(alice))).status == 403u);
}

BOOST_AUTO_TEST_CASE(a_new_kid_fetches_the_key_set_again_at_most_once_a_minute) {
  TestIdp idp;
  mock::MockOptions opts;
  opts.jwks = idp.jwks();
  GatewayHarness h(opts, with_idp);
  auto chat = [&](const std::string& token) { return h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body(), bearer(token))); };
  BOOST_TEST(h.run(eventually([&] { return chat(idp.token("a", {"search"}, now_s())).status == 200; })));
  const auto fetched = h.mock().stats().jwks_requests;
  // The provider rotates: its keys now carry kid "rsa-2".
  h.mock().set_jwks(idp.jwks("rsa-2", "ec-2"));
  const auto rotated = idp.token("b", {"search"}, now_s(), "RS256", "rsa-2");
  auto first = chat(rotated);  // unknown kid: refused, and the set is fetched again
  BOOST_TEST(first.status == 401u);
  BOOST_TEST(h.run(eventually([&] { return chat(rotated).status == 200; })));
  BOOST_TEST(h.mock().stats().jwks_requests == fetched + 1);
  // Made-up kids cost no more fetches within the minute.
  for (int i = 0; i < 5; ++i) BOOST_TEST(chat(idp.token("c", {"search"}, now_s(), "RS256", "made-up-" + std::to_string(i))).status == 401u);
  BOOST_TEST(h.mock().stats().jwks_requests == fetched + 1);
}

BOOST_AUTO_TEST_SUITE_END()
