// Integration: clients → the gateway → a provider of type "bedrock" (the mock
// playing Bedrock Runtime, checking every SigV4 signature against its secret):
// Converse and ConverseStream (EventStream frames) with tools and usage,
// Anthropic's Messages passed through InvokeModel with thinking, cache_control
// and betas, throttling failed over to another provider, a wrong secret, a
// session token, and Titan embeddings. (Built into gemini_client_test.)
#include <boost/test/unit_test.hpp>

#include <boost/json.hpp>

#include "support/gateway_harness.hpp"

using namespace switchyard;
using namespace switchyard::test;
using http::verb;
namespace json = boost::json;

namespace {

constexpr const char* kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr const char* kHaiku = "anthropic.claude-3-5-haiku-20241022-v1:0";

void make_bedrock(ProviderConfig& p, std::string secret = kSecret) {
  p.type = ProviderType::bedrock;
  if (p.base_url.ends_with("/v1")) p.base_url.resize(p.base_url.size() - 3);
  p.api_key.clear();
  p.region = "us-east-1";
  p.access_key_id = "AKIDEXAMPLE";
  p.secret_access_key = std::move(secret);
}

mock::MockOptions signed_mock() {
  mock::MockOptions mo;
  mo.aws_secret_access_key = kSecret;
  mo.defaults.tokens = 3;
  return mo;
}

auto to_bedrock = [](Config& c) {
  make_bedrock(c.providers[0]);
  c.models[0].targets[0].model = kHaiku;
  c.resilience.attempts_per_target = 1;
  c.resilience.breaker_failures = 100;
};

const std::string kTools = R"(,"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}])";

}  // namespace

BOOST_AUTO_TEST_SUITE(bedrock_provider)

BOOST_AUTO_TEST_CASE(converse_signed_with_sigv4_whole_and_with_a_tool_call) {
  GatewayHarness h(signed_mock(), to_bedrock);
  auto r = h.run(http_call(h.port(), verb::post, "/v1/chat/completions",
                           R"({"model":"fast","max_tokens":100,"temperature":0.2,"stop":["END"],"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"hello"}]})",
                           auth_headers()));
  BOOST_REQUIRE_EQUAL(r.status, 200u);  // the mock answered: the signature held
  auto j = json::parse(r.body).as_object();
  BOOST_TEST(j.at("model").as_string() == kHaiku);
  BOOST_TEST(j.at("choices").as_array()[0].at("message").at("content").as_string() == "Hello from the");
  BOOST_TEST(j.at("choices").as_array()[0].at("finish_reason").as_string() == "stop");
  BOOST_TEST(j.at("usage").at("completion_tokens").as_int64() == 3);
  const auto& seen = h.mock().stats();
  BOOST_TEST(seen.last_path == "/model/anthropic.claude-3-5-haiku-20241022-v1%3A0/converse");  // ':' encoded in the path
  BOOST_TEST(seen.last_authorization == "aws4 AKIDEXAMPLE");
  auto sent = json::parse(seen.last_body).as_object();
  BOOST_TEST(json::serialize(sent.at("system")) == R"([{"text":"Be brief."}])");
  BOOST_TEST(json::serialize(sent.at("messages")) == R"([{"role":"user","content":[{"text":"hello"}]}])");
  BOOST_TEST(json::serialize(sent.at("inferenceConfig")) == R"({"maxTokens":100,"temperature":2E-1,"stopSequences":["END"]})");
  BOOST_TEST(!sent.contains("model"));

  auto tool = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body("fast", false, kTools), auth_headers()));
  BOOST_REQUIRE_EQUAL(tool.status, 200u);
  auto t = json::parse(tool.body).as_object();
  const auto& msg = t.at("choices").as_array()[0].at("message").as_object();
  BOOST_TEST(t.at("choices").as_array()[0].at("finish_reason").as_string() == "tool_calls");
  BOOST_TEST(msg.at("tool_calls").as_array()[0].at("id").as_string() == "tooluse_mock_1");
  BOOST_TEST(msg.at("tool_calls").as_array()[0].at("function").at("arguments").as_string() == R"({"city":"Paris"})");
  auto sent_tools = json::parse(h.mock().stats().last_body).as_object();
  BOOST_TEST(sent_tools.at("toolConfig").at("tools").as_array()[0].at("toolSpec").at("name").as_string() == "get_weather");
}

BOOST_AUTO_TEST_CASE(converse_stream_relays_eventstream_frames_as_chunks) {
  GatewayHarness h(signed_mock(), to_bedrock);
  auto r = h.run(http_call(h.port(), verb::post, "/v1/chat/completions",
                           chat_body("fast", true, R"(,"stream_options":{"include_usage":true})" + kTools), auth_headers()));
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  BOOST_TEST(h.mock().stats().last_path == "/model/anthropic.claude-3-5-haiku-20241022-v1%3A0/converse-stream");
  const auto got = read_streamed_answer(r.body);
  BOOST_TEST(got.done);
  BOOST_TEST(got.text == "Hello from the");
  BOOST_TEST(got.tool_name == "get_weather");
  BOOST_TEST(got.tool_args == R"({"city": "Paris"})");
  BOOST_TEST(got.finish == "tool_calls");
  BOOST_TEST(got.completion_tokens == 3);
}

BOOST_AUTO_TEST_CASE(a_wrong_secret_is_refused_and_a_session_token_is_signed) {
  {
    GatewayHarness h(signed_mock(), [](Config& c) {
      to_bedrock(c);
      c.providers[0].secret_access_key = "not-the-secret-at-all-000000000000000000";
    });
    auto r = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body(), auth_headers()));
    BOOST_TEST(r.status == 502u);  // the provider refused the gateway's credentials: not the client's fault
    BOOST_TEST(r.body.find("signature does not match") != std::string::npos, r.body);
    BOOST_TEST(r.body.find("not-the-secret") == std::string::npos);
  }
  GatewayHarness h(signed_mock(), [](Config& c) {
    to_bedrock(c);
    c.providers[0].session_token = "FQoGZXIvYXdzEJr-session-token";
  });
  auto r = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body("fast", true), auth_headers()));
  BOOST_REQUIRE_EQUAL(r.status, 200u);  // x-amz-security-token sent and signed, or the mock refuses
  BOOST_TEST(read_streamed_answer(r.body).text == "Hello from the");
}

BOOST_AUTO_TEST_CASE(messages_go_natively_through_invoke_model_with_thinking_cache_and_betas) {
  GatewayHarness h(signed_mock(), to_bedrock);
  const std::string body =
      R"({"model":"fast","max_tokens":2048,"thinking":{"type":"enabled","budget_tokens":1024},)"
      R"("system":[{"type":"text","text":"Long policy text.","cache_control":{"type":"ephemeral"}}],)"
      R"("messages":[{"role":"user","content":"hello"}]})";
  Headers headers = auth_headers();
  headers.emplace_back("anthropic-version", "2023-06-01");
  headers.emplace_back("anthropic-beta", "interleaved-thinking-2025-05-14, token-efficient-tools-2025-02-19");
  auto r = h.run(http_call(h.port(), verb::post, "/v1/messages", body, headers));
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  const auto& seen = h.mock().stats();
  BOOST_TEST(seen.last_path == "/model/anthropic.claude-3-5-haiku-20241022-v1%3A0/invoke");
  auto sent = json::parse(seen.last_body).as_object();
  BOOST_TEST(sent.at("anthropic_version").as_string() == "bedrock-2023-05-31");
  BOOST_TEST(json::serialize(sent.at("anthropic_beta")) == R"(["interleaved-thinking-2025-05-14","token-efficient-tools-2025-02-19"])");
  BOOST_TEST(sent.at("system").as_array()[0].at("cache_control").at("type").as_string() == "ephemeral");
  auto m = json::parse(r.body).as_object();  // Anthropic's own message, untouched
  BOOST_TEST(m.at("type").as_string() == "message");
  BOOST_TEST(m.at("content").as_array()[0].at("type").as_string() == "thinking");
  BOOST_TEST(m.at("content").as_array()[0].at("signature").as_string().starts_with("sig-mock-"));
  BOOST_TEST(m.at("usage").at("cache_creation_input_tokens").as_int64() == 1000);

  auto again = h.run(http_call(h.port(), verb::post, "/v1/messages",
                               body.substr(0, body.size() - 1) + R"(,"stream":true})", headers));
  BOOST_REQUIRE_EQUAL(again.status, 200u);
  BOOST_TEST(h.mock().stats().last_path == "/model/anthropic.claude-3-5-haiku-20241022-v1%3A0/invoke-with-response-stream");
  // Anthropic's SSE events as the direct API sends them, rebuilt from the EventStream chunks.
  BOOST_TEST(again.body.find("event: message_start\ndata: {\"type\":\"message_start\"") != std::string::npos);
  BOOST_TEST(again.body.find(R"("type":"signature_delta")") != std::string::npos);
  BOOST_TEST(again.body.find(R"("cache_read_input_tokens":1000)") != std::string::npos);
  BOOST_TEST(again.body.find("event: message_stop") != std::string::npos);
  BOOST_TEST(again.body.find("\"bytes\"") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_throttling_exception_fails_over_to_openai_and_mid_stream_ends_the_stream) {
  auto fleet = [](Config& c) {
    mock_fleet(c, {"bedrock", "openai"}, "key-", Millis(5'000));
    make_bedrock(c.providers[0]);
    c.models[0].targets = {TargetConfig{"bedrock", kHaiku}, TargetConfig{"openai", "gpt-mock"}};
    c.resilience.attempts_per_target = 1;
    c.resilience.breaker_failures = 100;
  };
  mock::MockBehaviour throttled;
  throttled.tokens = 3;
  throttled.fault = mock::Fault::error_after;
  {  // the exception frame before any event: failed over, the client sees one clean stream
    GatewayHarness h(signed_mock(), fleet);
    throttled.fault_after = 0;
    h.mock().set_behaviour_for("aws4 AKIDEXAMPLE", throttled);
    auto r = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body("fast", true), auth_headers()));
    BOOST_REQUIRE_EQUAL(r.status, 200u);
    const auto got = read_streamed_answer(r.body);
    BOOST_TEST(got.done);
    BOOST_TEST(got.text == "Hello from the");
    BOOST_TEST(h.mock().stats().last_authorization == "Bearer key-openai");  // answered by the failover target
  }
  {  // after two words: too late to fail over (no resume on this route): the stream ends with the error
    GatewayHarness h(signed_mock(), fleet);
    throttled.fault_after = 2;
    h.mock().set_behaviour_for("aws4 AKIDEXAMPLE", throttled);
    auto mid = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body("fast", true), auth_headers()));
    BOOST_REQUIRE_EQUAL(mid.status, 200u);
    BOOST_TEST(mid.body.find(R"("content":" from")") != std::string::npos);  // two words relayed
    BOOST_TEST(mid.body.find("throttlingException") != std::string::npos, mid.body);
    BOOST_TEST(mid.body.find("[DONE]") == std::string::npos);
  }
  {  // a throttled whole answer (HTTP 429 in AWS's error shape) fails over too
    GatewayHarness h(signed_mock(), fleet);
    mock::MockBehaviour limited;
    limited.status = 429;
    h.mock().set_behaviour_for("aws4 AKIDEXAMPLE", limited);
    auto whole = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body(), auth_headers()));
    BOOST_REQUIRE_EQUAL(whole.status, 200u);
    BOOST_TEST(h.mock().stats().last_authorization == "Bearer key-openai");
    BOOST_TEST(h.mock().stats().requests_by_authorization.at("aws4 AKIDEXAMPLE") == 1u);
  }
}

BOOST_AUTO_TEST_CASE(titan_and_cohere_embeddings_through_invoke_model) {
  GatewayHarness h(signed_mock(), [](Config& c) {
    to_bedrock(c);
    c.models[0].targets[0].model = "amazon.titan-embed-text-v2:0";
    c.models.push_back(ModelRouteConfig{"cohere", Strategy::failover, {TargetConfig{"mock", "cohere.embed-english-v3"}}});
  });
  auto r = h.run(http_call(h.port(), verb::post, "/v1/embeddings",
                           R"({"model":"fast","input":["first text","second"],"dimensions":8,"encoding_format":"float"})", auth_headers()));
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  auto j = json::parse(r.body).as_object();
  BOOST_TEST(j.at("data").as_array().size() == 2u);
  BOOST_TEST(j.at("data").as_array()[1].at("embedding").as_array().size() == 8u);
  BOOST_TEST(j.at("data").as_array()[0].at("embedding").as_array()[0].as_double() == mock::mock_embedding("first text", 8)[0]);
  BOOST_TEST(j.at("usage").at("prompt_tokens").as_int64() == 3 + 2);  // Titan's inputTextTokenCount, added
  auto c = h.run(http_call(h.port(), verb::post, "/v1/embeddings", R"({"model":"cohere","input":"hello"})", auth_headers()));
  BOOST_REQUIRE_EQUAL(c.status, 200u);
  BOOST_TEST(json::parse(c.body).at("data").as_array().size() == 1u);
  BOOST_TEST(h.mock().stats().last_path == "/model/cohere.embed-english-v3/invoke");
}

BOOST_AUTO_TEST_SUITE_END()
