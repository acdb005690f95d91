// Golden translations written from Anthropic's and OpenAI's public API references.
#include <boost/test/unit_test.hpp>

#include <boost/json.hpp>

#include "providers/anthropic_passthrough.hpp"
#include "providers/anthropic_translator.hpp"
#include "sse/sse_parser.hpp"

using namespace switchyard;
using namespace switchyard::providers;
namespace json = boost::json;

namespace {
json::object obj(std::string_view s) { return json::parse(s).as_object(); }
}  // namespace

BOOST_AUTO_TEST_CASE(request_lifts_system_and_maps_tools_images_and_stops) {
  auto in = obj(R"({
    "model":"fast","temperature":0.2,"top_p":0.9,"stop":"END","stream":true,
    "messages":[
      {"role":"system","content":"Be brief."},
      {"role":"developer","content":"Use metric units."},
      {"role":"user","content":[{"type":"text","text":"What is in this image?"},
                                {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}},
                                {"type":"image_url","image_url":{"url":"https://example.com/cat.jpg"}}]},
      {"role":"assistant","content":"Let me check the weather.","tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},
      {"role":"tool","tool_call_id":"call_1","content":"18C, sunny"},
      {"role":"user","content":"Thanks"}],
    "tools":[{"type":"function","function":{"name":"get_weather","description":"Weather by city","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}],
    "tool_choice":{"type":"function","function":{"name":"get_weather"}}})");
  auto out = openai_to_anthropic_request(in, "claude-x");
  BOOST_REQUIRE(out);
  const auto& r = *out;
  BOOST_TEST(r.at("model").as_string() == "claude-x");
  BOOST_TEST(r.at("system").as_string() == "Be brief.\n\nUse metric units.");
  BOOST_TEST(r.at("max_tokens").as_int64() == kAnthropicDefaultMaxTokens);
  BOOST_TEST(r.at("temperature").as_double() == 0.2);
  BOOST_TEST(json::serialize(r.at("stop_sequences")) == R"(["END"])");
  BOOST_TEST(r.at("stream").as_bool());
  const auto& m = r.at("messages").as_array();
  BOOST_REQUIRE(m.size() == 3u);  // user, assistant, user (tool result merged with "Thanks")
  BOOST_TEST(json::serialize(m[0]) ==
             R"({"role":"user","content":[{"type":"text","text":"What is in this image?"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}},{"type":"image","source":{"type":"url","url":"https://example.com/cat.jpg"}}]})");
  BOOST_TEST(json::serialize(m[1]) ==
             R"({"role":"assistant","content":[{"type":"text","text":"Let me check the weather."},{"type":"tool_use","id":"call_1","name":"get_weather","input":{"city":"Paris"}}]})");
  BOOST_TEST(json::serialize(m[2]) ==
             R"({"role":"user","content":[{"type":"tool_result","tool_use_id":"call_1","content":"18C, sunny"},{"type":"text","text":"Thanks"}]})");
  BOOST_TEST(json::serialize(r.at("tools")) ==
             R"([{"name":"get_weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}}},"description":"Weather by city"}])");
  BOOST_TEST(json::serialize(r.at("tool_choice")) == R"({"type":"tool","name":"get_weather"})");
}

BOOST_AUTO_TEST_CASE(request_errors_are_clear_400s) {
  for (const char* bad : {R"({"messages":"x"})", R"({"messages":[{"role":"wizard","content":"x"}]})",
                          R"({"messages":[{"role":"assistant","tool_calls":[{"id":"c","function":{"name":"f","arguments":"not json"}}]}]})",
                          R"({"messages":[{"role":"tool","content":"x"}]})", R"({"messages":[{"role":"assistant","tool_calls":[{"id":"c"}]}]})"}) {
    auto r = openai_to_anthropic_request(obj(bad), "m");
    BOOST_TEST_CONTEXT(bad) {
      BOOST_REQUIRE(!r);
      BOOST_TEST((r.error().code == errc::invalid_request));
    }
  }
  auto required = openai_to_anthropic_request(obj(R"({"messages":[{"role":"user","content":"x"}],"tool_choice":"required","max_tokens":50})"), "m");
  BOOST_TEST(json::serialize(required->at("tool_choice")) == R"({"type":"any"})");
  BOOST_TEST(required->at("max_tokens").as_int64() == 50);
}

BOOST_AUTO_TEST_CASE(response_maps_content_tool_calls_stop_reason_and_usage) {
  Usage usage;
  auto out = anthropic_to_openai_response(R"({"id":"msg_01","type":"message","role":"assistant","model":"claude-x",
    "content":[{"type":"text","text":"Checking."},{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris"}}],
    "stop_reason":"tool_use","stop_sequence":null,
    "usage":{"input_tokens":100,"cache_read_input_tokens":20,"output_tokens":30}})", "fast-model", usage);
  BOOST_REQUIRE(out);
  auto r = obj(*out);
  BOOST_TEST(r.at("object").as_string() == "chat.completion");
  BOOST_TEST(r.at("model").as_string() == "fast-model");
  const auto& choice = r.at("choices").as_array()[0].as_object();
  BOOST_TEST(choice.at("finish_reason").as_string() == "tool_calls");
  BOOST_TEST(choice.at("message").at("content").as_string() == "Checking.");
  BOOST_TEST(json::serialize(choice.at("message").at("tool_calls")) ==
             R"([{"id":"toolu_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}])");
  BOOST_TEST(json::serialize(r.at("usage")) ==
             R"({"prompt_tokens":120,"completion_tokens":30,"total_tokens":150,"prompt_tokens_details":{"cached_tokens":20}})");
  BOOST_TEST(usage.reported);
  BOOST_TEST(usage.prompt_tokens == 120);
  BOOST_TEST(usage.cached_tokens == 20);
  BOOST_TEST(usage.completion_tokens == 30);
  for (auto [stop, finish] : {std::pair{"end_turn", "stop"}, {"stop_sequence", "stop"}, {"max_tokens", "length"}, {"refusal", "content_filter"}}) {
    BOOST_TEST(anthropic_finish_reason(stop) == finish);
  }
  BOOST_TEST(!anthropic_to_openai_response("not json", "m", usage));
  BOOST_TEST(!anthropic_to_openai_response(R"({"content":[{"type":"text"}]})", "m", usage));
}

namespace {
// The Messages stream from Anthropic's streaming reference (text, then a tool call).
const std::string kStream =
    "event: message_start\n"
    R"(data: {"type":"message_start","message":{"id":"msg_01","type":"message","role":"assistant","content":[],"model":"claude-x","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":472,"output_tokens":2}}})" "\n\n"
    "event: ping\ndata: {\"type\":\"ping\"}\n\n"
    "event: content_block_start\n"
    R"(data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})" "\n\n"
    "event: content_block_delta\n"
    R"(data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}})" "\n\n"
    "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
    "event: content_block_start\n"
    R"(data: {"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_01","name":"get_weather","input":{}}})" "\n\n"
    "event: content_block_delta\n"
    R"(data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"location\": \"San Fra"}})" "\n\n"
    "event: content_block_delta\n"
    R"(data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"ncisco, CA\"}"}})" "\n\n"
    "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":1}\n\n"
    "event: message_delta\n"
    R"(data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":89}})" "\n\n"
    "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";

struct Translated {
  std::string text, tool_id, tool_name, tool_args, finish;
  int roles = 0;
  std::string usage;
  bool finished = false;
};

Translated translate(const std::vector<std::string_view>& pieces) {
  AnthropicStreamTranslator t("fast-model", true);
  sse::SseParser p;
  std::vector<std::string> chunks;
  for (auto piece : pieces) {
    p.feed(piece);
    sse::SseEvent ev;
    while (p.next(ev) == sse::SseStatus::event) BOOST_REQUIRE(t.on_event(ev.event, ev.data, chunks));
  }
  Translated out;
  out.finished = t.finished();
  for (const auto& c : chunks) {
    auto j = obj(c);
    BOOST_REQUIRE(j.at("object").as_string() == "chat.completion.chunk");
    BOOST_REQUIRE(j.at("model").as_string() == "fast-model");
    if (j.at("choices").as_array().empty()) {
      out.usage = json::serialize(j.at("usage"));
      continue;
    }
    const auto& choice = j.at("choices").as_array()[0].as_object();
    const auto& delta = choice.at("delta").as_object();
    if (delta.contains("role")) ++out.roles;
    if (const auto* c2 = delta.if_contains("content"); c2 && c2->is_string()) out.text += std::string_view(c2->as_string());
    if (const auto* calls = delta.if_contains("tool_calls")) {
      const auto& call = calls->as_array()[0].as_object();
      BOOST_REQUIRE(call.at("index").as_int64() == 0);
      if (const auto* id = call.if_contains("id")) out.tool_id = std::string(id->as_string());
      const auto& fn = call.at("function").as_object();
      if (const auto* n = fn.if_contains("name")) out.tool_name = std::string(n->as_string());
      out.tool_args += std::string_view(fn.at("arguments").as_string());
    }
    if (choice.at("finish_reason").is_string()) out.finish = std::string(choice.at("finish_reason").as_string());
  }
  return out;
}
}  // namespace

BOOST_AUTO_TEST_CASE(a_messages_stream_becomes_openai_chunks_at_every_split) {
  for (std::size_t i = 0; i <= kStream.size(); ++i) {
    const std::string_view s(kStream);
    auto t = translate({s.substr(0, i), s.substr(i)});
    BOOST_TEST_CONTEXT("split at " << i) {
      BOOST_REQUIRE(t.finished);
      BOOST_TEST(t.roles == 1);
      BOOST_TEST(t.text == "Hello");
      BOOST_TEST(t.tool_id == "toolu_01");
      BOOST_TEST(t.tool_name == "get_weather");
      BOOST_TEST(t.tool_args == R"({"location": "San Francisco, CA"})");
      BOOST_TEST(t.finish == "tool_calls");
      BOOST_TEST(t.usage == R"({"prompt_tokens":472,"completion_tokens":89,"total_tokens":561})");
    }
  }
}

BOOST_AUTO_TEST_CASE(reasoning_effort_and_cache_control_reach_the_messages_request) {
  auto a = openai_to_anthropic_request(json::parse(R"({"max_tokens":100,"temperature":0.3,"top_p":0.9,"reasoning_effort":"medium",
      "messages":[{"role":"system","content":"plain system"},
                  {"role":"system","content":[{"type":"text","text":"cached rules","cache_control":{"type":"ephemeral"}}]},
                  {"role":"user","content":[{"type":"text","text":"a"},{"type":"image_url","image_url":{"url":"https://x/i.png"},"cache_control":{"type":"ephemeral"}},{"type":"text","text":"b","cache_control":{"type":"ephemeral"}}]}],
      "tools":[{"type":"function","function":{"name":"f"},"cache_control":{"type":"ephemeral"}}]})").as_object(), "claude-x");
  BOOST_REQUIRE(a);
  BOOST_TEST(a->at("thinking") == json::parse(R"({"type":"enabled","budget_tokens":4096})"));
  BOOST_TEST(a->at("max_tokens").as_int64() == 4096 + 100);
  BOOST_TEST(!a->contains("temperature"));
  BOOST_TEST(!a->contains("top_p"));
  BOOST_TEST(a->at("system") == json::parse(R"([{"type":"text","text":"plain system"},{"type":"text","text":"cached rules","cache_control":{"type":"ephemeral"}}])"));
  const auto& blocks = a->at("messages").as_array()[0].at("content").as_array();
  BOOST_REQUIRE_EQUAL(blocks.size(), 3u);
  BOOST_TEST(!blocks[0].as_object().contains("cache_control"));
  BOOST_TEST(blocks[1].at("cache_control") == json::parse(R"({"type":"ephemeral"})"));
  BOOST_TEST(blocks[2].at("cache_control") == json::parse(R"({"type":"ephemeral"})"));
  BOOST_TEST(a->at("tools").as_array()[0].at("cache_control") == json::parse(R"({"type":"ephemeral"})"));
  // Unmarked: the system prompt stays one string; no effort, no thinking.
  auto plain = openai_to_anthropic_request(json::parse(R"({"messages":[{"role":"system","content":"s"},{"role":"user","content":"u"}],"reasoning_effort":"none","temperature":0.3})").as_object(), "c");
  BOOST_REQUIRE(plain);
  BOOST_TEST(plain->at("system").as_string() == "s");
  BOOST_TEST(!plain->contains("thinking"));
  BOOST_TEST(plain->at("temperature").as_double() == 0.3);
  // Thinking comes back as reasoning_content.
  Usage u;
  auto back = anthropic_to_openai_response(R"({"id":"m","content":[{"type":"thinking","thinking":"hmm","signature":"s"},{"type":"text","text":"Hi"}],"stop_reason":"end_turn","usage":{"input_tokens":1,"output_tokens":2}})", "c", u);
  BOOST_REQUIRE(back);
  BOOST_TEST(json::parse(*back).at("choices").as_array()[0].at("message").at("reasoning_content").as_string() == "hmm");
  AnthropicStreamTranslator t("c", false);
  std::vector<std::string> out;
  BOOST_REQUIRE(t.on_event("content_block_delta", R"({"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"step"}})", out));
  BOOST_REQUIRE_EQUAL(out.size(), 1u);
  BOOST_TEST(json::parse(out[0]).at("choices").as_array()[0].at("delta").at("reasoning_content").as_string() == "step");
}

BOOST_AUTO_TEST_CASE(passed_through_the_stream_leaves_as_it_came_at_every_split) {
  for (std::size_t i = 0; i <= kStream.size(); ++i) {
    const std::string_view s(kStream);
    AnthropicPassthrough t;
    sse::SseParser p;
    std::vector<std::string> frames;
    for (auto piece : {s.substr(0, i), s.substr(i)}) {
      p.feed(piece);
      sse::SseEvent ev;
      while (p.next(ev) == sse::SseStatus::event) BOOST_REQUIRE(t.on_event(ev.event, ev.data, frames));
    }
    BOOST_TEST_CONTEXT("split at " << i) {
      std::string joined;
      for (const auto& f : frames) joined += f;
      BOOST_TEST(joined == kStream);  // byte for byte
      BOOST_TEST(t.finished());
      BOOST_TEST(t.usage().prompt_tokens == 472);
      BOOST_TEST(t.usage().completion_tokens == 89);
      BOOST_TEST(t.usage().reported);
      BOOST_TEST(t.on_end(frames).has_value());
    }
  }
  AnthropicPassthrough cut;
  std::vector<std::string> out;
  BOOST_REQUIRE(cut.on_event("message_start", R"({"type":"message_start","message":{"usage":{"input_tokens":5,"cache_read_input_tokens":100,"cache_creation_input_tokens":7}}})", out));
  BOOST_TEST(cut.usage().prompt_tokens == 5 + 100 + 7);
  BOOST_TEST(cut.usage().cached_tokens == 100);
  BOOST_TEST(cut.usage().cache_write_tokens == 7);
  BOOST_REQUIRE(cut.on_event("content_block_delta", "{}", out));
  BOOST_TEST(cut.usage().completion_tokens == 1);  // estimated until message_delta
  BOOST_TEST(!cut.on_end(out));                     // no message_stop: a cut stream
  auto err = cut.on_event("error", R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})", out);
  BOOST_REQUIRE(!err);
  BOOST_TEST(err.error().upstream_status == 529);
  BOOST_TEST(!AnthropicPassthrough().on_event("message_delta", "{oops", out));
  BOOST_TEST(body_with_model(json::parse(R"({"a":1,"model":"x","b":[true]})").as_object(), "y") == R"({"model":"y","a":1,"b":[true]})");
}

BOOST_AUTO_TEST_CASE(an_error_event_after_the_200_becomes_an_upstream_error) {
  AnthropicStreamTranslator t("m", false);
  std::vector<std::string> out;
  auto r = t.on_event("error", R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})", out);
  BOOST_REQUIRE(!r);
  BOOST_TEST(r.error().upstream_status == 529);
  BOOST_TEST(r.error().message.find("Overloaded") != std::string::npos);
  BOOST_TEST(!t.on_event("content_block_delta", R"({"type":"content_block_delta","index":5,"delta":{"type":"input_json_delta","partial_json":"x"}})", out));
  BOOST_TEST(!t.on_event("message_start", "{not json", out));
}
