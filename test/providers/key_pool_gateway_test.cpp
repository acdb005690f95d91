// Integration: a provider with several keys (api_keys) on the mock, which
// answers per key: one key revoked (401), one rate-limited (429), one good.
// Every request succeeds on the provider (the next key, not a failover);
// the revoked key is set aside, the limited one rests; /v1/providers and
// /metrics show each key by index and fingerprint, never the key.
// (Built into openai_client_test.)
#include <boost/test/unit_test.hpp>

#include <boost/json.hpp>

#include "providers/key_pool.hpp"
#include "support/gateway_harness.hpp"

using namespace switchyard;
using namespace switchyard::test;
using http::verb;
namespace json = boost::json;

BOOST_AUTO_TEST_SUITE(key_pool_gateway)

BOOST_AUTO_TEST_CASE(a_revoked_and_a_rate_limited_key_move_requests_to_the_next_key) {
  GatewayHarness h({}, [](Config& c) {
    auto& p = c.providers[0];
    p.api_key.clear();
    p.keys = {ProviderKey{"sk-revoked-0000000001"}, ProviderKey{"sk-limited-0000000002"}, ProviderKey{"sk-good-000000000003"}};
    c.server.admin_key = "admin-key-0123456789";
    c.resilience.attempts_per_target = 1;  // no retry: only the pool moves a request
  });
  mock::MockBehaviour revoked;
  revoked.status = 401;
  revoked.echo_key = true;  // the provider repeats the key in its error: never shown
  mock::MockBehaviour limited;
  limited.status = 429;
  limited.retry_after = "30";
  h.mock().set_behaviour_for("Bearer sk-revoked-0000000001", revoked);
  h.mock().set_behaviour_for("Bearer sk-limited-0000000002", limited);
  for (int i = 0; i < 6; ++i) {
    auto r = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body("fast", i % 2 == 1), auth_headers()));
    BOOST_REQUIRE_EQUAL(r.status, 200u);
  }
  const auto& by = h.mock().stats().requests_by_authorization;
  BOOST_TEST(by.at("Bearer sk-revoked-0000000001") == 1u);  // set aside after its 401
  BOOST_TEST(by.at("Bearer sk-limited-0000000002") == 1u);  // resting after its 429 (Retry-After 30 s)
  BOOST_TEST(by.at("Bearer sk-good-000000000003") == 6u);

  const std::vector<std::pair<std::string, std::string>> admin{{"authorization", "Bearer admin-key-0123456789"}};
  auto v = h.run(http_call(h.port(), verb::get, "/v1/providers", "", admin));
  BOOST_REQUIRE_EQUAL(v.status, 200u);
  BOOST_TEST(v.body.find("sk-") == std::string::npos);
  const auto keys = json::parse(v.body).at("keys").as_array();
  BOOST_REQUIRE_EQUAL(keys.size(), 3u);
  BOOST_TEST(keys[0].at("state").as_string() == "set_aside");
  BOOST_TEST(keys[0].at("fingerprint").as_string() == providers::KeyPool::fingerprint("sk-revoked-0000000001"));
  BOOST_TEST(keys[0].at("last_refusal").as_string().find("401") != std::string::npos);  // why, as the provider said
  BOOST_TEST(keys[1].at("state").as_string() == "resting");
  BOOST_TEST(keys[2].at("state").as_string() == "ok");
  auto m = h.run(http_call(h.port(), verb::get, "/metrics", ""));
  BOOST_TEST(m.body.find("sk-") == std::string::npos);
  const std::string fp = providers::KeyPool::fingerprint("sk-revoked-0000000001");
  BOOST_TEST(m.body.find("switchyard_provider_key_refusals_total{provider=\"mock\",key=\"#0 " + fp + "\"} 1") != std::string::npos, m.body);
}

BOOST_AUTO_TEST_CASE(every_key_refused_is_the_providers_failure_and_fails_over) {
  GatewayHarness h({}, [](Config& c) {
    mock_fleet(c, {"pooled", "backup"}, "key-", Millis(5'000));
    c.providers[0].api_key.clear();
    c.providers[0].keys = {ProviderKey{"sk-bad-1-00000000000"}, ProviderKey{"sk-bad-2-00000000000"}};
    c.models[0].targets = {TargetConfig{"pooled", "m"}, TargetConfig{"backup", "m"}};
    c.resilience.attempts_per_target = 1;
  });
  mock::MockBehaviour revoked;
  revoked.status = 403;
  revoked.echo_key = true;  // a careless provider repeating the key it got
  h.mock().set_behaviour_for("Bearer sk-bad-1-00000000000", revoked);
  h.mock().set_behaviour_for("Bearer sk-bad-2-00000000000", revoked);
  auto r = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body(), auth_headers()));
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  BOOST_TEST(h.mock().stats().last_authorization == "Bearer key-backup");
  // Both keys set aside: the next request goes to the backup without asking the pooled provider.
  auto again = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body(), auth_headers()));
  BOOST_REQUIRE_EQUAL(again.status, 200u);
  BOOST_TEST(h.mock().stats().requests_by_authorization.at("Bearer sk-bad-1-00000000000") == 1u);
  BOOST_TEST(h.mock().stats().requests_by_authorization.at("Bearer sk-bad-2-00000000000") == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
