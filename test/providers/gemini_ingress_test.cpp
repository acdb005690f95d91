// Integration: Gemini-native clients (Google's API on /v1beta) → the gateway:
// the key from ?key= (never logged) or x-goog-api-key, answers translated
// from an OpenAI-type target, passed through untouched to a Gemini target,
// Google's error shape, countTokens and the model list.
// (Built into gemini_client_test.)
#include <boost/test/unit_test.hpp>

#include <boost/json.hpp>

#include "support/gateway_harness.hpp"

using namespace switchyard;
using namespace switchyard::test;
using http::verb;
namespace json = boost::json;

namespace {
const std::string kBody = R"({"contents":[{"role":"user","parts":[{"text":"hello"}]}],"generationConfig":{"maxOutputTokens":50}})";
Headers goog() { return {{"x-goog-api-key", kClientKey}}; }
}  // namespace

BOOST_AUTO_TEST_SUITE(gemini_ingress)

BOOST_AUTO_TEST_CASE(translated_from_an_openai_target_with_the_key_in_the_query) {
  mock::MockOptions mo;
  mo.defaults.tokens = 3;
  GatewayHarness h(mo, [](Config& c) { c.server.access_log = true; });
  auto r = h.run(http_call(h.port(), verb::post, std::string("/v1beta/models/fast:generateContent?key=") + kClientKey, kBody, {}));
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  auto j = json::parse(r.body).as_object();
  BOOST_TEST(j.at("candidates").at(0).at("content").at("parts").at(0).at("text").as_string() == "Hello from the");
  BOOST_TEST(j.at("candidates").at(0).at("finishReason").as_string() == "STOP");
  BOOST_TEST(j.at("usageMetadata").at("candidatesTokenCount").as_int64() == 3);
  auto sent = json::parse(h.mock().stats().last_body).as_object();  // what the OpenAI-type target got
  BOOST_TEST(sent.at("max_tokens").as_int64() == 50);
  BOOST_TEST(json::serialize(sent.at("messages")) == R"([{"role":"user","content":"hello"}])");

  auto s = h.run(http_call(h.port(), verb::post, "/v1beta/models/fast:streamGenerateContent?alt=sse", kBody, goog()));
  BOOST_REQUIRE_EQUAL(s.status, 200u);
  BOOST_TEST(s.body.find("data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hello\"}]") != std::string::npos, s.body);
  BOOST_TEST(s.body.find("\"finishReason\":\"STOP\"") != std::string::npos);
  BOOST_TEST(s.body.find("\"usageMetadata\"") != std::string::npos);
  BOOST_TEST(s.body.find("[DONE]") == std::string::npos);

  h.run([&]() -> boost::asio::awaitable<void> {
    co_await eventually([&] { return h.log_text().find("streamGenerateContent") != std::string::npos; }, std::chrono::seconds(5));
  }());
  const auto log = h.log_text();
  BOOST_TEST(log.find("generateContent") != std::string::npos);
  BOOST_TEST(log.find(kClientKey) == std::string::npos);  // ?key= never reaches the log
}

BOOST_AUTO_TEST_CASE(passed_through_to_a_gemini_target_untouched) {
  GatewayHarness h({}, [](Config& c) { c.providers[0].type = ProviderType::gemini; });
  const std::string body = R"({"contents":[{"role":"user","parts":[{"text":"hello"}]}],"safetySettings":[{"category":"HARM_CATEGORY_HARASSMENT","threshold":"BLOCK_NONE"}],"cachedContent":"cachedContents/abc"})";
  auto r = h.run(http_call(h.port(), verb::post, "/v1beta/models/fast:generateContent", body, goog()));
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  BOOST_TEST(h.mock().stats().last_path == "/v1/models/mock-fast:generateContent");
  BOOST_TEST(h.mock().stats().last_body == body);  // as it came: fields no translation knows survive
  BOOST_TEST(json::parse(r.body).at("responseId").as_string().starts_with("mock-resp-"));  // the provider's own answer
}

BOOST_AUTO_TEST_CASE(errors_in_googles_shape_count_tokens_and_the_model_list) {
  GatewayHarness h;
  auto bad = h.run(http_call(h.port(), verb::post, "/v1beta/models/fast:generateContent", kBody, {{"x-goog-api-key", "sy-wrong-000000000000"}}));
  BOOST_TEST(bad.status == 401u);
  auto e = json::parse(bad.body).as_object();
  BOOST_TEST(e.at("error").at("code").as_int64() == 401);
  BOOST_TEST(e.at("error").at("status").as_string() == "UNAUTHENTICATED");
  auto unknown = h.run(http_call(h.port(), verb::post, "/v1beta/models/nope:generateContent", kBody, goog()));
  BOOST_TEST(unknown.status == 404u);
  BOOST_TEST(json::parse(unknown.body).at("error").at("status").as_string() == "NOT_FOUND");
  auto empty = h.run(http_call(h.port(), verb::post, "/v1beta/models/fast:generateContent", R"({"contents":[]})", goog()));
  BOOST_TEST(empty.status == 400u);
  BOOST_TEST(json::parse(empty.body).at("error").at("status").as_string() == "INVALID_ARGUMENT");
  auto count = h.run(http_call(h.port(), verb::post, "/v1beta/models/fast:countTokens", kBody, goog()));
  BOOST_REQUIRE_EQUAL(count.status, 200u);
  BOOST_TEST(json::parse(count.body).at("totalTokens").as_int64() > 0);
  auto list = h.run(http_call(h.port(), verb::get, "/v1beta/models", "", goog()));
  BOOST_REQUIRE_EQUAL(list.status, 200u);
  BOOST_TEST(json::parse(list.body).at("models").at(0).at("name").as_string() == "models/fast");
}

BOOST_AUTO_TEST_SUITE_END()
