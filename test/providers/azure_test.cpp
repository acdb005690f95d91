// Integration: provider type "azure" (the mock plays Azure OpenAI): the
// deployment path and api-version of a dated API, the v1 API with the
// deployment in the body, the api-key header or an Entra ID bearer token,
// streams, embeddings, and Azure's content-filter error reaching the client.
#include <boost/test/unit_test.hpp>

#include <boost/json.hpp>

#include "support/gateway_harness.hpp"

using namespace switchyard;
using namespace switchyard::test;
using http::verb;
namespace json = boost::json;

namespace {

auto azure = [](std::string api_version, std::string ad_token) {
  return [=](Config& c) {
    auto& p = c.providers.at(0);
    p.type = ProviderType::azure;
    p.base_url = p.base_url.substr(0, p.base_url.size() - 3);  // the resource's URL: no /v1
    p.api_version = api_version;
    p.ad_token = ad_token;
    c.models = {ModelRouteConfig{"fast", Strategy::failover, {TargetConfig{"mock", "gpt-4o-mini-deploy"}}}};
    c.resilience.attempts_per_target = 1;
  };
};

}  // namespace

BOOST_AUTO_TEST_SUITE(azure_openai)

BOOST_AUTO_TEST_CASE(a_dated_api_calls_the_deployment_path_with_the_api_key_header) {
  GatewayHarness h({}, azure("2024-10-21", ""));
  auto r = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body("fast"), auth_headers()));
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  BOOST_TEST(json::parse(r.body).at("model").as_string() == "gpt-4o-mini-deploy");
  const auto& seen = h.mock().stats();
  BOOST_TEST(seen.last_path == "/openai/deployments/gpt-4o-mini-deploy/chat/completions?api-version=2024-10-21");
  BOOST_TEST(seen.last_authorization == std::string("api-key ") + kProviderKey);

  auto s = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body("fast", true), auth_headers()));
  BOOST_REQUIRE_EQUAL(s.status, 200u);
  const auto answer = read_streamed_answer(s.body);
  BOOST_TEST(answer.done);
  BOOST_TEST(!answer.text.empty());
  BOOST_TEST(h.mock().stats().last_path == "/openai/deployments/gpt-4o-mini-deploy/chat/completions?api-version=2024-10-21");

  auto e = h.run(http_call(h.port(), verb::post, "/v1/embeddings", R"({"model":"fast","input":"hi","encoding_format":"float"})", auth_headers()));
  BOOST_REQUIRE_EQUAL(e.status, 200u);
  BOOST_TEST(h.mock().stats().last_path == "/openai/deployments/gpt-4o-mini-deploy/embeddings?api-version=2024-10-21");
}

BOOST_AUTO_TEST_CASE(the_v1_api_names_the_deployment_in_the_body_and_takes_a_bearer_token) {
  GatewayHarness h({}, azure("v1", "entra-token-123"));
  auto r = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body("fast"), auth_headers()));
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  const auto& seen = h.mock().stats();
  BOOST_TEST(seen.last_path == "/openai/v1/chat/completions");
  BOOST_TEST(seen.last_authorization == "Bearer entra-token-123");
  BOOST_TEST(json::parse(seen.last_body).at("model").as_string() == "gpt-4o-mini-deploy");
}

BOOST_AUTO_TEST_CASE(responses_pass_through_to_azure_outside_the_deployment_path) {
  GatewayHarness h({}, [](Config& c) {
    azure("2025-04-01-preview", "")(c);
    c.providers.at(0).responses = true;
  });
  auto r = h.run(http_call(h.port(), verb::post, "/v1/responses", R"({"model":"fast","input":"hi"})", auth_headers()));
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  BOOST_TEST(json::parse(r.body).at("object").as_string() == "response");
  const auto& seen = h.mock().stats();
  BOOST_TEST(seen.last_path == "/openai/responses?api-version=2025-04-01-preview");  // not deployment-scoped
  BOOST_TEST(json::parse(seen.last_body).at("model").as_string() == "gpt-4o-mini-deploy");
  BOOST_TEST(json::parse(seen.last_body).at("input").as_string() == "hi");
}

BOOST_AUTO_TEST_CASE(a_content_filter_refusal_is_a_400_the_client_can_read) {
  GatewayHarness h({}, azure("2024-10-21", ""));
  auto r = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body("fast", false, R"(,"mock":{"fault":"content-filter"})"), auth_headers()));
  BOOST_TEST(r.status == 400u);
  const auto err = json::parse(r.body).at("error").as_object();
  BOOST_TEST(err.at("code").as_string() == "content_filter");
  BOOST_TEST(err.at("message").as_string().find("content management policy") != std::string::npos);
  BOOST_TEST(err.at("innererror").at("code").as_string() == "ResponsibleAIPolicyViolation");
  BOOST_TEST(r.body.find(kProviderKey) == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
