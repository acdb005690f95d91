// Integration: an Anthropic client (POST /v1/messages) → the gateway → an
// anthropic provider (the mock in Messages mode): the request goes up as it
// came (only "model" rewritten), cache_control and thinking intact, the
// anthropic-beta header forwarded; the answer and the stream come back as
// the provider sent them, usage (cache reads and writes included) accounted.
// Failover to a non-Anthropic target still answers in Anthropic's shape.
#include <boost/test/unit_test.hpp>

#include <boost/json.hpp>

#include "support/gateway_harness.hpp"

using namespace switchyard;
using namespace switchyard::test;
using http::verb;
namespace json = boost::json;

namespace {

// "claude" (anthropic) and "oai" (OpenAI type) on the one mock; route "sonnet" → claude, "sonnet-or-oai" → claude then oai.
auto fleet = [](Config& c) {
  const auto base = c.providers.at(0).base_url;
  c.providers.clear();
  ProviderConfig claude;
  claude.name = "claude";
  claude.type = ProviderType::anthropic;
  claude.base_url = base;
  claude.api_key = "key-claude";
  c.providers.push_back(claude);
  ProviderConfig oai;
  oai.name = "oai";
  oai.base_url = base;
  oai.api_key = "key-oai";
  c.providers.push_back(oai);
  TargetConfig sonnet{"claude", "claude-sonnet-4-5"};
  sonnet.input_price = 3;
  sonnet.output_price = 15;
  sonnet.cached_input_price = 0.3;
  sonnet.cache_write_price = 3.75;
  c.models = {ModelRouteConfig{"sonnet", Strategy::failover, {sonnet}},
              ModelRouteConfig{"sonnet-or-oai", Strategy::failover, {sonnet, TargetConfig{"oai", "gpt-mock"}}}};
  c.resilience.attempts_per_target = 1;
  c.resilience.breaker_failures = 100;
};

// What Claude Code sends: system blocks and tools with cache_control, thinking, an earlier
// thinking block with its signature, and fields the gateway does not know.
const std::string kClaudeCodeBody = R"({"model":"sonnet","max_tokens":2048,
  "system":[{"type":"text","text":"You are Claude Code.","cache_control":{"type":"ephemeral"}}],
  "tools":[{"name":"Read","description":"Reads a file","input_schema":{"type":"object","properties":{"path":{"type":"string"}}},"cache_control":{"type":"ephemeral","ttl":"1h"}}],
  "thinking":{"type":"enabled","budget_tokens":1024},
  "messages":[{"role":"user","content":[{"type":"text","text":"hello","cache_control":{"type":"ephemeral"}}]},
              {"role":"assistant","content":[{"type":"thinking","thinking":"earlier thought","signature":"EqQBCkYIBRgCKkD+/sig=="},{"type":"text","text":"hi"}]},
              {"role":"user","content":"go on"}],
  "metadata":{"user_id":"u-123"},"context_management":{"edits":[]},"temperature":1.0)";

Headers claude_headers() { return {{"x-api-key", kClientKey}, {"anthropic-version", "2023-06-01"}, {"anthropic-beta", "interleaved-thinking-2025-05-14,prompt-caching-2024-07-31"}}; }

void expect_sent_as_came(const std::string& client_body, const std::string& upstream_body, std::string_view model) {
  auto sent = json::parse(upstream_body).as_object();
  auto came = json::parse(client_body).as_object();
  BOOST_TEST(sent.at("model").as_string() == model);
  sent.erase("model");
  came.erase("model");
  BOOST_TEST(sent == came);  // every other member, cache_control, thinking and signatures included
  // the upstream body keeps the client's order: model first, then as it came
  BOOST_TEST(upstream_body.find(R"("signature":"EqQBCkYIBRgCKkD+/sig==")") != std::string::npos);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(anthropic_passthrough)

BOOST_AUTO_TEST_CASE(non_streamed_goes_up_and_comes_back_as_it_came) {
  GatewayHarness h({}, fleet);
  const std::string body = kClaudeCodeBody + "}";
  auto r = h.run(http_call(h.port(), verb::post, "/v1/messages", body, claude_headers()));
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  const auto& seen = h.mock().stats();
  BOOST_TEST(seen.last_path == "/v1/messages");
  BOOST_TEST(seen.last_authorization == "x-api-key key-claude");
  BOOST_TEST(seen.last_anthropic_beta == "interleaved-thinking-2025-05-14,prompt-caching-2024-07-31");
  expect_sent_as_came(body, seen.last_body, "claude-sonnet-4-5");
  // The answer as the provider wrote it: the thinking block and its signature, cache usage.
  const auto j = json::parse(r.body).as_object();
  BOOST_TEST(j.at("type").as_string() == "message");
  BOOST_TEST(j.at("model").as_string() == "claude-sonnet-4-5");
  const auto& content = j.at("content").as_array();
  BOOST_REQUIRE_EQUAL(content.size(), 3u);
  BOOST_TEST(content[0].at("type").as_string() == "thinking");
  BOOST_TEST(content[2].at("type").as_string() == "tool_use");
  BOOST_TEST(content[0].at("signature").as_string().starts_with("sig-mock-"));
  BOOST_TEST(j.at("usage").at("cache_creation_input_tokens").as_int64() == 1000);

  // The same prefix again: a cache read, accounted at the cached price.
  auto again = h.run(http_call(h.port(), verb::post, "/v1/messages", body, claude_headers()));
  BOOST_REQUIRE_EQUAL(again.status, 200u);
  BOOST_TEST(json::parse(again.body).at("usage").at("cache_read_input_tokens").as_int64() == 1000);
  auto totals = h.run(h.gateway().usage(0, std::numeric_limits<std::int64_t>::max(), "key", "")).value();
  BOOST_REQUIRE_EQUAL(totals.size(), 1u);
  BOOST_TEST(totals[0].requests == 2u);
  BOOST_TEST(totals[0].cached_tokens == 1000);
  BOOST_TEST(totals[0].prompt_tokens == 2 * (11 + 1000));  // the mock's 11 input tokens, plus the 1,000 written, then read
  BOOST_TEST(totals[0].completion_tokens == 2 * 16);
  // $ per million: 11 × 3 + 1,000 written × 3.75 + 16 × 15, then 11 × 3 + 1,000 read × 0.3 + 16 × 15
  BOOST_TEST(totals[0].cost_usd == (4023 + 573) / 1e6, boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(streamed_events_pass_untouched_and_are_accounted) {
  GatewayHarness h({}, fleet);
  const std::string body = kClaudeCodeBody + R"(,"stream":true})";
  auto r = h.run(http_call(h.port(), verb::post, "/v1/messages", body, claude_headers()));
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  BOOST_TEST(r.headers[http::field::content_type].starts_with("text/event-stream"));
  expect_sent_as_came(body, h.mock().stats().last_body, "claude-sonnet-4-5");
  // Event names in the provider's order; thinking and signature deltas (which a translation would drop) included.
  std::vector<std::string> names;
  for (auto at = r.body.find("event: "); at != std::string::npos; at = r.body.find("event: ", at + 1)) {
    names.push_back(r.body.substr(at + 7, r.body.find('\n', at) - at - 7));
  }
  BOOST_REQUIRE(names.size() > 8u);
  BOOST_TEST(names.front() == "message_start");
  BOOST_TEST(names[1] == "ping");
  BOOST_TEST(names.back() == "message_stop");
  BOOST_TEST(std::count(names.begin(), names.end(), "message_stop") == 1);
  BOOST_TEST(r.body.find(R"("type":"thinking_delta")") != std::string::npos);
  BOOST_TEST(r.body.find(R"("type":"signature_delta")") != std::string::npos);
  BOOST_TEST(r.body.find(R"("cache_creation_input_tokens":1000)") != std::string::npos);
  BOOST_TEST(r.body.find("chatcmpl") == std::string::npos);  // nothing of OpenAI's shape
  auto totals = h.run(h.gateway().usage(0, std::numeric_limits<std::int64_t>::max(), "key", "")).value();
  BOOST_REQUIRE_EQUAL(totals.size(), 1u);
  BOOST_TEST(totals[0].prompt_tokens == 11 + 1000);
  BOOST_TEST(totals[0].completion_tokens == 16);
  BOOST_TEST(totals[0].cost_usd == 4023 / 1e6, boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(an_error_event_mid_stream_reaches_the_client_as_an_anthropic_error) {
  GatewayHarness h({}, fleet);
  auto r = h.run(http_call(h.port(), verb::post, "/v1/messages",
                           R"({"model":"sonnet","max_tokens":50,"stream":true,"messages":[{"role":"user","content":"x"}],"mock":{"fault":"error-after:2"}})",
                           claude_headers()));
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  BOOST_TEST(r.body.find("event: error") != std::string::npos);
  BOOST_TEST(r.body.find("overloaded_error") != std::string::npos);
  BOOST_TEST(r.body.find("message_stop") == std::string::npos);  // a cut stream never looks finished
}

BOOST_AUTO_TEST_CASE(failover_to_another_provider_answers_in_anthropic_shape) {
  GatewayHarness h({}, fleet);
  h.mock().set_behaviour_for("x-api-key key-claude", [] {
    mock::MockBehaviour b;
    b.status = 529;
    return b;
  }());
  const std::string body = kClaudeCodeBody + "}";
  auto plain = h.run(http_call(h.port(), verb::post, "/v1/messages", std::string(body).replace(body.find("\"sonnet\""), 8, "\"sonnet-or-oai\""), claude_headers()));
  BOOST_REQUIRE_EQUAL(plain.status, 200u);
  BOOST_TEST(h.mock().stats().last_path == "/v1/chat/completions");  // translated for the OpenAI-type target
  BOOST_TEST(h.mock().stats().last_anthropic_beta.empty());           // Anthropic's headers stay with Anthropic
  const auto j = json::parse(plain.body).as_object();
  BOOST_TEST(j.at("type").as_string() == "message");
  BOOST_TEST(j.at("content").as_array()[0].at("type").as_string() == "text");

  auto streamed = h.run(http_call(h.port(), verb::post, "/v1/messages",
                                  R"({"model":"sonnet-or-oai","max_tokens":50,"stream":true,"messages":[{"role":"user","content":"x"}]})", claude_headers()));
  BOOST_REQUIRE_EQUAL(streamed.status, 200u);
  BOOST_TEST(streamed.body.find("event: message_start") != std::string::npos);
  BOOST_TEST(streamed.body.find("event: message_stop") != std::string::npos);
  BOOST_TEST(streamed.body.find("\"object\":\"chat.completion.chunk\"") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_openai_api_to_an_anthropic_target_is_still_translated) {
  GatewayHarness h({}, fleet);
  auto r = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body("sonnet"), auth_headers()));
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  BOOST_TEST(json::parse(r.body).at("object").as_string() == "chat.completion");
}

BOOST_AUTO_TEST_CASE(count_tokens_asks_the_anthropic_target_or_estimates_and_takes_from_the_key_limits) {
  GatewayHarness h({}, [](Config& c) {
    fleet(c);
    c.models.push_back(ModelRouteConfig{"oai-only", Strategy::failover, {TargetConfig{"oai", "gpt-mock"}}});
    KeyConfig limited{"limited", "sy-limited-key-0001", {}};
    limited.limits.requests_per_minute = 2;
    c.keys.push_back(limited);
  });
  const std::string body = R"({"model":"sonnet","messages":[{"role":"user","content":"one two three"}],"system":"s"})";
  auto r = h.run(http_call(h.port(), verb::post, "/v1/messages/count_tokens", body, claude_headers()));
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  BOOST_TEST(json::parse(r.body).at("input_tokens").as_int64() == 3 + 3);  // the mock's count
  BOOST_TEST(h.mock().stats().last_path == "/v1/messages/count_tokens");
  BOOST_TEST(json::parse(h.mock().stats().last_body).at("model").as_string() == "claude-sonnet-4-5");
  BOOST_TEST(h.mock().stats().last_anthropic_beta == "interleaved-thinking-2025-05-14,prompt-caching-2024-07-31");

  const auto before = h.mock().stats().requests;
  auto estimated = h.run(http_call(h.port(), verb::post, "/v1/messages/count_tokens",
                                   R"({"model":"oai-only","messages":[{"role":"user","content":")" + std::string(400, 'x') + R"("}]})", claude_headers()));
  BOOST_REQUIRE_EQUAL(estimated.status, 200u);
  BOOST_TEST(estimated.body.find("\"input_tokens\":1") != std::string::npos);  // ~100 (~4 characters a token)
  BOOST_TEST(h.mock().stats().requests == before);  // nobody was asked

  // The provider's refusal reaches the client in Anthropic's shape.
  auto refused = h.run(http_call(h.port(), verb::post, "/v1/messages/count_tokens",
                                 R"({"model":"sonnet","max_tokens":5,"messages":[{"role":"user","content":"x"}]})", claude_headers()));
  BOOST_TEST(refused.status == 400u);
  BOOST_TEST(json::parse(refused.body).at("type").as_string() == "error");
  // A key over its request rate is refused before the provider is asked.
  const Headers limited = {{"x-api-key", "sy-limited-key-0001"}};
  unsigned last = 0;
  for (int i = 0; i < 3; ++i) last = h.run(http_call(h.port(), verb::post, "/v1/messages/count_tokens", body, limited)).status;
  BOOST_TEST(last == 429u);
  auto unknown = h.run(http_call(h.port(), verb::post, "/v1/messages/count_tokens", R"({"model":"nope","messages":[]})", claude_headers()));
  BOOST_TEST(unknown.status == 404u);
}

BOOST_AUTO_TEST_SUITE_END()
