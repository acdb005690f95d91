#define BOOST_TEST_MODULE gemini_client
// Integration: an OpenAI-shaped client → the gateway → a provider of type
// "gemini" (the mock in Gemini mode), streamed and not, with tools, errors,
// broken streams and usage.
#include <boost/test/unit_test.hpp>

#include <boost/json.hpp>

#include "support/gateway_harness.hpp"

using namespace switchyard;
using namespace switchyard::test;
using http::verb;
namespace json = boost::json;

namespace {
auto gemini = [](Config& c) {
  c.providers[0].type = ProviderType::gemini;
  c.resilience.attempts_per_target = 1;
  c.resilience.breaker_failures = 100;
};
const std::string kTools = R"(,"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}])";
const std::string kWho = std::string("x-goog-api-key ") + kProviderKey;

}  // namespace

BOOST_AUTO_TEST_CASE(non_streamed_through_generate_content) {
  mock::MockOptions mo;
  mo.defaults.tokens = 3;
  GatewayHarness h(mo, gemini);
  auto r = h.run(http_call(h.port(), verb::post, "/v1/chat/completions",
                           R"({"model":"fast","max_tokens":100,"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"hello"}]})",
                           auth_headers()));
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  auto j = json::parse(r.body).as_object();
  BOOST_TEST(j.at("object").as_string() == "chat.completion");
  BOOST_TEST(j.at("model").as_string() == "mock-fast");
  BOOST_TEST(j.at("choices").as_array()[0].at("message").at("content").as_string() == "Hello from the");
  BOOST_TEST(j.at("choices").as_array()[0].at("finish_reason").as_string() == "stop");
  BOOST_TEST(j.at("usage").at("completion_tokens").as_int64() == 3);
  // What went upstream: Gemini's shape, the model in the path, the key in x-goog-api-key.
  const auto& seen = h.mock().stats();
  BOOST_TEST(seen.last_path == "/v1/models/mock-fast:generateContent");
  BOOST_TEST(seen.last_authorization == kWho);
  auto sent = json::parse(seen.last_body).as_object();
  BOOST_TEST(json::serialize(sent.at("systemInstruction")) == R"({"parts":[{"text":"Be brief."}]})");
  BOOST_TEST(sent.at("generationConfig").at("maxOutputTokens").as_int64() == 100);
  BOOST_TEST(json::serialize(sent.at("contents")) == R"([{"role":"user","parts":[{"text":"hello"}]}])");

  // A tool call, not streamed.
  auto tool = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body("fast", false, kTools), auth_headers()));
  BOOST_REQUIRE_EQUAL(tool.status, 200u);
  auto t = json::parse(tool.body).as_object();
  const auto& msg = t.at("choices").as_array()[0].at("message").as_object();
  BOOST_TEST(t.at("choices").as_array()[0].at("finish_reason").as_string() == "tool_calls");
  BOOST_TEST(msg.at("tool_calls").as_array()[0].at("function").at("name").as_string() == "get_weather");
  BOOST_TEST(msg.at("tool_calls").as_array()[0].at("function").at("arguments").as_string() == R"({"city":"Paris"})");
}

BOOST_AUTO_TEST_CASE(streamed_with_a_tool_call_and_usage) {
  mock::MockOptions mo;
  mo.defaults.tokens = 2;
  GatewayHarness h(mo, gemini);
  auto r = h.run(http_call(h.port(), verb::post, "/v1/chat/completions",
                           chat_body("fast", true, R"(,"stream_options":{"include_usage":true})" + kTools), auth_headers()));
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  BOOST_TEST(h.mock().stats().last_path == "/v1/models/mock-fast:streamGenerateContent?alt=sse");
  const auto got = read_streamed_answer(r.body);
  BOOST_TEST(got.done);  // Gemini sends no [DONE]; the client still gets OpenAI's end
  BOOST_TEST(got.text == "Hello from");
  BOOST_TEST(got.tool_name == "get_weather");
  BOOST_TEST(got.tool_args == R"({"city":"Paris"})");
  BOOST_TEST(got.finish == "tool_calls");
  BOOST_TEST(got.completion_tokens == 2);
}

BOOST_AUTO_TEST_CASE(gemini_errors_map_and_broken_streams_end_with_an_error_event) {
  GatewayHarness h({}, gemini);
  mock::MockBehaviour b;
  b.status = 429;
  b.retry_after = "1";
  h.mock().set_behaviour_for(kWho, b);
  auto limited = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body(), auth_headers()));
  BOOST_TEST(limited.status == 429u);
  BOOST_TEST(limited.body.find("mock error with status 429") != std::string::npos);
  b = {};
  b.status = 400;
  h.mock().set_behaviour_for(kWho, b);
  auto bad = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body(), auth_headers()));
  BOOST_TEST(bad.status == 400u);

  // An error frame inside the 200 stream.
  b = {};
  BOOST_REQUIRE(mock::parse_fault("error-after:2", b));
  h.mock().set_behaviour_for(kWho, b);
  auto broken = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body("fast", true), auth_headers()));
  BOOST_TEST(broken.status == 200u);
  BOOST_TEST(broken.body.find("overloaded") != std::string::npos);
  BOOST_TEST(broken.body.find("[DONE]") == std::string::npos);

  // A connection reset after two frames: no finishReason came, so it is a cut stream, not a clean end.
  b = {};
  BOOST_REQUIRE(mock::parse_fault("reset-after:2", b));
  h.mock().set_behaviour_for(kWho, b);
  auto cut = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body("fast", true), auth_headers()));
  BOOST_TEST(cut.status == 200u);
  BOOST_TEST(cut.body.find("\"error\"") != std::string::npos);
  BOOST_TEST(cut.body.find("[DONE]") == std::string::npos);

  auto invalid = h.run(http_call(h.port(), verb::post, "/v1/chat/completions",
                                 R"({"model":"fast","messages":[{"role":"tool","tool_call_id":"nope","content":"x"}]})", auth_headers()));
  BOOST_TEST(invalid.status == 400u);
  BOOST_TEST(invalid.body.find("nope") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(tokens_are_counted_for_finished_and_cancelled_streams) {
  mock::MockOptions mo;
  mo.defaults.tokens = 5;
  GatewayHarness h(mo, gemini);
  auto plain = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body(), auth_headers()));
  BOOST_REQUIRE_EQUAL(plain.status, 200u);
  auto streamed = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body("fast", true), auth_headers()));
  BOOST_REQUIRE_EQUAL(streamed.status, 200u);
  // Usage was not asked for: no usage chunk reaches the client, but the gateway counted it.
  BOOST_TEST(streamed.body.find("\"usage\"") == std::string::npos);
  const std::string completion = R"(switchyard_tokens_total{provider="mock",model="mock-fast",kind="completion"})";
  BOOST_TEST(metric(h.gateway().metrics_text(), completion) == 10);
  BOOST_TEST(metric(h.gateway().metrics_text(), R"(switchyard_tokens_total{provider="mock",model="mock-fast",kind="prompt"})") > 0);

  // Embedded: read the role chunk and two words (two frames), then drop the stream. What was used so far is counted.
  h.run([&]() -> asio::awaitable<void> {
    ChatRequest request{json::parse(chat_body("fast", true)).as_object(), std::nullopt, ""};
    auto stream = co_await h.gateway().chat_stream(std::move(request));
    BOOST_REQUIRE(stream);
    for (int i = 0; i < 3; ++i) {
      auto chunk = co_await stream->next();
      BOOST_REQUIRE(chunk && *chunk);
    }
    BOOST_TEST(stream->usage().completion_tokens == 2);
    BOOST_TEST(stream->usage().prompt_tokens > 0);
  }());
  BOOST_TEST(metric(h.gateway().metrics_text(), completion) == 12);
}

BOOST_AUTO_TEST_CASE(active_health_checks_list_gemini_models_with_the_gemini_key) {
  GatewayHarness h({}, [](Config& c) {
    gemini(c);
    c.providers[0].base_url += "beta";  // .../v1beta, as Google's
    c.providers[0].health_check_interval = std::chrono::milliseconds(20);
  });
  const auto probes = [&] { return h.mock().stats().requests_by_authorization.count(kWho) ? h.mock().stats().requests_by_authorization.at(kWho) : 0; };
  BOOST_TEST(h.run(eventually([&] { return probes() >= 2; }, std::chrono::seconds(3))));
  BOOST_TEST(h.mock().stats().last_path == "/v1beta/models");
  for (const auto& t : h.gateway().target_health()) BOOST_TEST(t.circuit == "closed");
  auto r = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body(), auth_headers()));
  BOOST_TEST(r.status == 200u);
}

BOOST_AUTO_TEST_CASE(reasoning_effort_asks_for_thoughts_and_they_come_back_as_reasoning_content) {
  GatewayHarness h({}, gemini);
  auto r = h.run(http_call(h.port(), verb::post, "/v1/chat/completions",
                           R"({"model":"fast","reasoning_effort":"high","messages":[{"role":"user","content":"think"}]})", auth_headers()));
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  const auto sent = json::parse(h.mock().stats().last_body).as_object();
  BOOST_TEST(sent.at("generationConfig").at("thinkingConfig") == json::parse(R"({"thinkingBudget":24576,"includeThoughts":true})"));
  const auto msg = json::parse(r.body).at("choices").as_array()[0].at("message").as_object();
  BOOST_TEST(msg.at("reasoning_content").as_string() == "Weighing the question.");
  BOOST_TEST(msg.at("content").as_string().find("Weighing") == std::string::npos);  // thoughts never leak into the answer

  auto s = h.run(http_call(h.port(), verb::post, "/v1/chat/completions",
                           R"({"model":"fast","stream":true,"reasoning_effort":"low","messages":[{"role":"user","content":"think"}]})", auth_headers()));
  BOOST_REQUIRE_EQUAL(s.status, 200u);
  BOOST_TEST(json::parse(h.mock().stats().last_body).at("generationConfig").at("thinkingConfig").at("thinkingBudget").as_int64() == 1024);
  BOOST_TEST(s.body.find(R"("reasoning_content":"Weighing the question.")") != std::string::npos);
  BOOST_TEST(read_streamed_answer(s.body).text.find("Weighing") == std::string::npos);

  auto none = h.run(http_call(h.port(), verb::post, "/v1/chat/completions",
                              R"({"model":"fast","reasoning_effort":"none","messages":[{"role":"user","content":"x"}]})", auth_headers()));
  BOOST_REQUIRE_EQUAL(none.status, 200u);
  BOOST_TEST(json::parse(h.mock().stats().last_body).at("generationConfig").at("thinkingConfig") == json::parse(R"({"thinkingBudget":0,"includeThoughts":false})"));
  BOOST_TEST(!json::parse(none.body).at("choices").as_array()[0].at("message").as_object().contains("reasoning_content"));
}
