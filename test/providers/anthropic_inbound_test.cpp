// POST /v1/messages: a Claude-style client through the gateway to an
// OpenAI-type provider (the mock), streamed and not.
#include <boost/test/unit_test.hpp>

#include <boost/json.hpp>

#include "providers/anthropic_inbound.hpp"
#include "sse/sse_parser.hpp"
#include "support/gateway_harness.hpp"

using namespace switchyard;
using namespace switchyard::test;
using http::verb;
namespace json = boost::json;

namespace {
const std::string kBody = R"({"model":"fast","max_tokens":256,"system":"Be brief.","messages":[{"role":"user","content":"hello"}])";
Headers x_api_key() { return {{"x-api-key", kClientKey}, {"anthropic-version", "2023-06-01"}}; }
}  // namespace

BOOST_AUTO_TEST_CASE(request_translation_to_openai) {
  auto r = providers::anthropic_request_to_openai(json::parse(R"({"model":"m","max_tokens":10,"system":[{"type":"text","text":"S"}],
    "messages":[{"role":"user","content":[{"type":"text","text":"hi"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"AAA"}}]},
                {"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"f","input":{"a":1}}]},
                {"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"42"}]}],
    "tools":[{"name":"f","input_schema":{"type":"object"}}],"tool_choice":{"type":"any","disable_parallel_tool_use":true},"stop_sequences":["X"],"stream":true,
    "metadata":{"user_id":"u-42"},"top_k":5})").as_object());
  BOOST_REQUIRE(r);
  BOOST_TEST(json::serialize(r->at("messages")) ==
             R"([{"role":"system","content":"S"},{"role":"user","content":[{"type":"text","text":"hi"},{"type":"image_url","image_url":{"url":"data:image/png;base64,AAA"}}]},{"role":"assistant","content":null,"tool_calls":[{"id":"t1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]},{"role":"tool","tool_call_id":"t1","content":"42"}])");
  BOOST_TEST(json::serialize(r->at("tools")) == R"([{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}])");
  BOOST_TEST(r->at("tool_choice").as_string() == "required");
  BOOST_TEST(r->at("stream_options").at("include_usage").as_bool());
  BOOST_TEST(r->at("parallel_tool_calls").as_bool() == false);
  BOOST_TEST(r->at("user").as_string() == "u-42");
  BOOST_TEST(!r->contains("top_k"));
  BOOST_TEST(!r->contains("metadata"));
  BOOST_TEST(!providers::anthropic_request_to_openai(json::parse(R"({"model":"m","messages":[]})").as_object()));
}

BOOST_AUTO_TEST_CASE(non_streamed_messages_through_the_gateway) {
  mock::MockOptions mo;
  mo.defaults.tokens = 3;
  GatewayHarness h(mo);
  auto r = h.run(http_call(h.port(), verb::post, "/v1/messages", kBody + "}", x_api_key()));
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  auto m = json::parse(r.body).as_object();
  BOOST_TEST(m.at("type").as_string() == "message");
  BOOST_TEST(m.at("model").as_string() == "fast");
  BOOST_TEST(json::serialize(m.at("content")) == R"([{"type":"text","text":"Hello from the"}])");
  BOOST_TEST(m.at("stop_reason").as_string() == "end_turn");
  BOOST_TEST(m.at("usage").at("output_tokens").as_int64() == 3);
  auto sent = json::parse(h.mock().stats().last_body).as_object();
  BOOST_TEST(sent.at("messages").as_array()[0].at("role").as_string() == "system");
}

BOOST_AUTO_TEST_CASE(streamed_messages_follow_the_anthropic_event_order) {
  mock::MockOptions mo;
  mo.defaults.tokens = 3;
  GatewayHarness h(mo);
  auto r = h.run(http_call(h.port(), verb::post, "/v1/messages", kBody + R"(,"stream":true})",
                           {{"authorization", std::string("Bearer ") + kClientKey}}));
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  sse::SseParser p;
  p.feed(r.body);
  sse::SseEvent ev;
  std::vector<std::string> names;
  std::string text;
  std::int64_t output = -1;
  while (p.next(ev) == sse::SseStatus::event) {
    names.emplace_back(ev.event);
    auto d = json::parse(ev.data).as_object();
    BOOST_TEST(d.at("type").as_string() == ev.event);
    if (ev.event == "content_block_delta") text += std::string_view(d.at("delta").at("text").as_string());
    if (ev.event == "message_delta") {
      BOOST_TEST(d.at("delta").at("stop_reason").as_string() == "end_turn");
      output = d.at("usage").at("output_tokens").as_int64();
    }
  }
  BOOST_REQUIRE(names.size() >= 6u);
  BOOST_TEST(names.front() == "message_start");
  BOOST_TEST(names[1] == "content_block_start");
  BOOST_TEST(names[names.size() - 3] == "content_block_stop");
  BOOST_TEST(names[names.size() - 2] == "message_delta");
  BOOST_TEST(names.back() == "message_stop");
  BOOST_TEST(text == "Hello from the");
  BOOST_TEST(output == 3);  // usage was asked of the upstream for the message_delta
}

BOOST_AUTO_TEST_CASE(errors_come_back_in_anthropic_shape) {
  GatewayHarness h;
  auto no_key = h.run(http_call(h.port(), verb::post, "/v1/messages", kBody + "}"));
  BOOST_TEST(no_key.status == 401u);
  BOOST_TEST(json::parse(no_key.body).at("error").at("type").as_string() == "authentication_error");
  auto bad = h.run(http_call(h.port(), verb::post, "/v1/messages", R"({"model":"fast","messages":[{"role":"user","content":"x"}]})", x_api_key()));
  BOOST_TEST(bad.status == 400u);
  BOOST_TEST(json::parse(bad.body).at("type").as_string() == "error");
  BOOST_TEST(json::parse(bad.body).at("error").at("message").as_string().find("max_tokens") != std::string::npos);
  mock::MockBehaviour b;
  BOOST_REQUIRE(mock::parse_fault("error-after:1", b));
  h.mock().set_behaviour_for(std::string("Bearer ") + kProviderKey, b);  // unknown fields do not survive translation
  auto broken = h.run(http_call(h.port(), verb::post, "/v1/messages", kBody + R"(,"stream":true})", x_api_key()));
  BOOST_TEST(broken.status == 200u);
  BOOST_TEST(broken.body.find("event: error") != std::string::npos);
  BOOST_TEST(broken.body.find("message_stop") == std::string::npos);
}
