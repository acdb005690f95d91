// providers/responses_translator: the Responses API to chat and back
// (golden), the chat stream as Responses events at every split of its
// bytes, and the Responses passthrough at every split.
#include <boost/test/unit_test.hpp>

#include <boost/json.hpp>

#include "providers/responses_translator.hpp"
#include "sse/sse_parser.hpp"

using namespace switchyard;
using namespace switchyard::providers;
namespace json = boost::json;

namespace {

json::object obj(std::string_view s) { return json::parse(s).as_object(); }

// A chat stream as an OpenAI-compatible provider sends it: text, then a tool call in pieces, usage last.
const std::string kChatStream =
    R"(data: {"id":"c1","object":"chat.completion.chunk","model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]})" "\n\n"
    R"(data: {"id":"c1","object":"chat.completion.chunk","model":"m","choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}]})" "\n\n"
    R"(data: {"id":"c1","object":"chat.completion.chunk","model":"m","choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":null}]})" "\n\n"
    R"(data: {"id":"c1","object":"chat.completion.chunk","model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_9","type":"function","function":{"name":"get_weather","arguments":""}}]},"finish_reason":null}]})" "\n\n"
    R"(data: {"id":"c1","object":"chat.completion.chunk","model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]},"finish_reason":null}]})" "\n\n"
    R"(data: {"id":"c1","object":"chat.completion.chunk","model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"Paris\"}"}}]},"finish_reason":null}]})" "\n\n"
    R"(data: {"id":"c1","object":"chat.completion.chunk","model":"m","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]})" "\n\n"
    R"(data: {"id":"c1","object":"chat.completion.chunk","model":"m","choices":[],"usage":{"prompt_tokens":20,"completion_tokens":9,"total_tokens":29,"prompt_tokens_details":{"cached_tokens":4}}})" "\n\n"
    "data: [DONE]\n\n";

// A Responses stream as OpenAI sends it (shortened).
const std::string kResponsesStream =
    "event: response.created\n" R"(data: {"type":"response.created","sequence_number":0,"response":{"id":"resp_1","status":"in_progress","output":[],"usage":null}})" "\n\n"
    "event: response.output_text.delta\n" R"(data: {"type":"response.output_text.delta","sequence_number":1,"item_id":"msg_1","output_index":0,"content_index":0,"delta":"Hi"})" "\n\n"
    "event: response.output_text.delta\n" R"(data: {"type":"response.output_text.delta","sequence_number":2,"item_id":"msg_1","output_index":0,"content_index":0,"delta":"!"})" "\n\n"
    "event: response.completed\n" R"(data: {"type":"response.completed","sequence_number":3,"response":{"id":"resp_1","status":"completed","usage":{"input_tokens":11,"input_tokens_details":{"cached_tokens":3},"output_tokens":2,"output_tokens_details":{"reasoning_tokens":1},"total_tokens":13}}})" "\n\n";

struct Events {
  std::vector<std::string> types;
  std::vector<json::object> data;
};

Events parse_events(const std::string& sse) {
  Events out;
  sse::SseParser p;
  p.feed(sse);
  sse::SseEvent ev;
  while (p.next(ev) == sse::SseStatus::event) {
    out.types.emplace_back(ev.event);
    out.data.push_back(obj(ev.data));
  }
  return out;
}

ResponsesEcho echo() { return ResponsesEcho::of(obj(R"({"model":"fast","instructions":"Be brief.","tools":[{"type":"function","name":"get_weather"}]})"), "abc"); }

}  // namespace

BOOST_AUTO_TEST_SUITE(responses_translator)

BOOST_AUTO_TEST_CASE(a_codex_style_request_becomes_chat) {
  auto chat = responses_request_to_chat(obj(R"({
    "model":"gpt-5","instructions":"Be terse.","stream":true,"store":false,
    "input":[
      {"type":"message","role":"developer","content":"Use tools."},
      {"type":"message","role":"user","content":[{"type":"input_text","text":"Weather?"},{"type":"input_image","image_url":"data:image/png;base64,AAA","detail":"low"}]},
      {"type":"reasoning","summary":[],"encrypted_content":"gAAAA"},
      {"type":"function_call","call_id":"call_1","name":"get_weather","arguments":"{\"city\":\"Paris\"}"},
      {"type":"function_call","call_id":"call_2","name":"get_time","arguments":"{}"},
      {"type":"function_call_output","call_id":"call_1","output":"{\"temp_c\":18}"},
      {"type":"function_call_output","call_id":"call_2","output":[{"type":"input_text","text":"noon"}]},
      {"type":"message","role":"assistant","content":[{"type":"output_text","text":"18C.","annotations":[]}]},
      {"role":"user","content":"And tomorrow?"}],
    "tools":[{"type":"function","name":"get_weather","description":"Current weather","strict":true,"parameters":{"type":"object"}},
             {"type":"web_search"}],
    "tool_choice":{"type":"function","name":"get_weather"},"parallel_tool_calls":false,"max_output_tokens":2048,
    "reasoning":{"effort":"medium","summary":"auto"},"include":["reasoning.encrypted_content"],
    "text":{"format":{"type":"json_schema","name":"out","schema":{"type":"object"},"strict":true}},
    "temperature":0.5,"metadata":{"a":"b"}})"));
  BOOST_REQUIRE_MESSAGE(chat, (chat ? "" : chat.error().message));
  BOOST_TEST(json::value(*chat) == json::parse(R"({
    "model":"gpt-5",
    "messages":[
      {"role":"system","content":"Be terse."},
      {"role":"system","content":"Use tools."},
      {"role":"user","content":[{"type":"text","text":"Weather?"},{"type":"image_url","image_url":{"url":"data:image/png;base64,AAA","detail":"low"}}]},
      {"role":"assistant","content":null,"tool_calls":[
        {"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},
        {"id":"call_2","type":"function","function":{"name":"get_time","arguments":"{}"}}]},
      {"role":"tool","tool_call_id":"call_1","content":"{\"temp_c\":18}"},
      {"role":"tool","tool_call_id":"call_2","content":"noon"},
      {"role":"assistant","content":"18C."},
      {"role":"user","content":"And tomorrow?"}],
    "tools":[{"type":"function","function":{"name":"get_weather","description":"Current weather","parameters":{"type":"object"},"strict":true}}],
    "tool_choice":{"type":"function","function":{"name":"get_weather"}},
    "parallel_tool_calls":false,"max_tokens":2048,"temperature":0.5,
    "response_format":{"type":"json_schema","json_schema":{"name":"out","schema":{"type":"object"},"strict":true}},
    "reasoning_effort":"medium","stream":true,"stream_options":{"include_usage":true}})"));
}

BOOST_AUTO_TEST_CASE(custom_tools_like_codex_apply_patch_become_one_string_functions_and_come_back_as_custom_calls) {
  const auto request = obj(R"({"model":"m","tools":[{"type":"custom","name":"apply_patch","description":"Edit files.","format":{"type":"grammar"}}],
      "tool_choice":{"type":"custom","name":"apply_patch"},
      "input":[{"role":"user","content":"fix it"},
               {"type":"custom_tool_call","call_id":"call_7","name":"apply_patch","input":"*** Begin Patch\n*** End Patch"},
               {"type":"custom_tool_call_output","call_id":"call_7","output":"Done!"}]})");
  auto chat = responses_request_to_chat(request);
  BOOST_REQUIRE(chat);
  BOOST_TEST(chat->at("tools") == json::parse(R"j([{"type":"function","function":{"name":"apply_patch",
      "description":"Edit files. (Freeform: put the whole input text in the `input` string.)",
      "parameters":{"type":"object","properties":{"input":{"type":"string"}},"required":["input"]}}}])j"));
  BOOST_TEST(chat->at("tool_choice") == json::parse(R"({"type":"function","function":{"name":"apply_patch"}})"));
  const auto& msgs = chat->at("messages").as_array();
  BOOST_REQUIRE_EQUAL(msgs.size(), 3u);
  BOOST_TEST(msgs[1].at("tool_calls").as_array()[0].at("function").at("arguments").as_string() == R"({"input":"*** Begin Patch\n*** End Patch"})");
  BOOST_TEST(msgs[2] == json::parse(R"({"role":"tool","tool_call_id":"call_7","content":"Done!"})"));

  const auto echo = ResponsesEcho::of(request, "xyz");
  auto whole = chat_response_to_responses(R"({"choices":[{"message":{"content":null,"tool_calls":[{"id":"call_8","type":"function",
      "function":{"name":"apply_patch","arguments":"{\"input\":\"*** Begin Patch\\n*** End Patch\"}"}}]},"finish_reason":"tool_calls"}]})", echo);
  BOOST_REQUIRE(whole);
  BOOST_TEST(obj(*whole).at("output") == json::parse(R"([{"id":"ctc_xyz_0","type":"custom_tool_call","status":"completed","call_id":"call_8",
      "name":"apply_patch","input":"*** Begin Patch\n*** End Patch"}])"));

  ChatToResponsesStream t(echo);
  std::string out;
  BOOST_REQUIRE(t.on_chunk(R"({"choices":[{"delta":{"tool_calls":[{"index":0,"id":"call_9","function":{"name":"apply_patch","arguments":"{\"in"}}]}}]})", out));
  BOOST_REQUIRE(t.on_chunk(R"({"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":"put\":\"P\"}"}}]},"finish_reason":"tool_calls"}]})", out));
  t.on_end(out);
  const auto ev = parse_events(out);
  const std::vector<std::string> expected = {"response.created", "response.in_progress", "response.output_item.added",
                                             "response.custom_tool_call_input.delta", "response.custom_tool_call_input.done",
                                             "response.output_item.done", "response.completed"};
  BOOST_TEST(ev.types == expected, boost::test_tools::per_element());
  BOOST_TEST(ev.data[4].at("input").as_string() == "P");
  BOOST_TEST(ev.data[5].at("item") == json::parse(R"({"id":"ctc_xyz_0","type":"custom_tool_call","status":"completed","call_id":"call_9","name":"apply_patch","input":"P"})"));
}

BOOST_AUTO_TEST_CASE(what_cannot_be_done_statelessly_or_read_is_a_clear_400) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"model":"m","input":"x","previous_response_id":"resp_1"})", "no conversation state"},
      {R"({"model":"m","input":"x","conversation":"conv_1"})", "no conversation state"},
      // Answered "queued" with no usage while the provider bills the whole generation: never forwarded.
      {R"({"model":"m","input":"x","background":true})", "background is not supported"},
      {R"({"input":"x"})", "'model' is required"},
      {R"({"model":"m"})", "'input' is required"},
      {R"({"model":"m","input":5})", "'input' must be"},
      {R"({"model":"m","input":[{"role":"tool","content":"x"}]})", "role"},
      {R"({"model":"m","input":[{"role":"user","content":[{"type":"input_file","file_id":"f"}]}]})", "input_file"},
      {R"({"model":"m","input":[{"type":"function_call","name":"f"}]})", "call_id"},
      {R"({"model":"m","input":[{"type":"local_shell_call"}]})", "local_shell_call"},
      {R"({"model":"m","input":[]})", "no message"},
  };
  for (const auto& [body, says] : cases) {
    auto r = responses_request_to_chat(obj(body));
    BOOST_TEST_CONTEXT(body) {
      BOOST_REQUIRE(!r);
      BOOST_TEST((r.error().code == errc::invalid_request));
      BOOST_TEST(r.error().message.find(says) != std::string::npos, r.error().message);
    }
  }
  auto plain = responses_request_to_chat(obj(R"({"model":"m","input":"hi","previous_response_id":null,"background":false,"store":true,"text":{"format":{"type":"json_object"}}})"));
  BOOST_REQUIRE(plain);
  BOOST_TEST(json::value(*plain) == json::parse(R"({"model":"m","messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_object"}})"));
}

BOOST_AUTO_TEST_CASE(a_chat_completion_becomes_a_response_object) {
  auto r = chat_response_to_responses(R"({"id":"c1","object":"chat.completion","created":1700000000,"model":"up","choices":[{"index":0,
      "message":{"role":"assistant","content":"Hi.","tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]},
      "finish_reason":"tool_calls"}],"usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15,
      "prompt_tokens_details":{"cached_tokens":2},"completion_tokens_details":{"reasoning_tokens":3}}})", echo());
  BOOST_REQUIRE(r);
  const auto j = obj(*r);
  BOOST_TEST(j.at("id").as_string() == "resp_abc");
  BOOST_TEST(j.at("object").as_string() == "response");
  BOOST_TEST(j.at("status").as_string() == "completed");
  BOOST_TEST(j.at("model").as_string() == "fast");
  BOOST_TEST(j.at("instructions").as_string() == "Be brief.");
  BOOST_TEST(j.at("store").as_bool() == false);
  BOOST_TEST(j.at("output") == json::parse(R"([
      {"id":"msg_abc","type":"message","status":"completed","role":"assistant","content":[{"type":"output_text","annotations":[],"text":"Hi."}]},
      {"id":"fc_abc_0","type":"function_call","status":"completed","arguments":"{\"a\":1}","call_id":"call_1","name":"f"}])"));
  BOOST_TEST(j.at("usage") == json::parse(R"({"input_tokens":10,"input_tokens_details":{"cached_tokens":2},"output_tokens":5,
      "output_tokens_details":{"reasoning_tokens":3},"total_tokens":15})"));
  auto cut = chat_response_to_responses(R"({"choices":[{"message":{"content":"Hi"},"finish_reason":"length"}]})", echo());
  BOOST_REQUIRE(cut);
  BOOST_TEST(obj(*cut).at("status").as_string() == "incomplete");
  BOOST_TEST(obj(*cut).at("incomplete_details").at("reason").as_string() == "max_output_tokens");
  BOOST_TEST(!chat_response_to_responses("not json", echo()));
  BOOST_TEST(!chat_response_to_responses(R"({"choices":[{"message":5}]})", echo()));
}

BOOST_AUTO_TEST_CASE(a_chat_stream_becomes_responses_events_at_every_split) {
  const std::string_view s(kChatStream);
  for (std::size_t i = 0; i <= s.size(); ++i) {
    ChatToResponsesStream t(echo());
    sse::SseParser p;
    std::string out;
    bool ended = false;
    for (auto piece : {s.substr(0, i), s.substr(i)}) {
      p.feed(piece);
      sse::SseEvent ev;
      while (p.next(ev) == sse::SseStatus::event) {
        if (ev.data == "[DONE]") {
          t.on_end(out);
          ended = true;
        } else {
          BOOST_REQUIRE(t.on_chunk(ev.data, out));
        }
      }
    }
    BOOST_TEST_CONTEXT("split at " << i) {
      BOOST_REQUIRE(ended);
      const auto ev = parse_events(out);
      const std::vector<std::string> expected = {
          "response.created", "response.in_progress", "response.output_item.added", "response.content_part.added",
          "response.output_text.delta", "response.output_text.delta", "response.output_text.done", "response.content_part.done",
          "response.output_item.done", "response.output_item.added", "response.function_call_arguments.delta",
          "response.function_call_arguments.delta", "response.function_call_arguments.done", "response.output_item.done",
          "response.completed"};
      BOOST_TEST(ev.types == expected, boost::test_tools::per_element());
      for (std::size_t k = 0; k < ev.data.size(); ++k) {
        BOOST_TEST(ev.data[k].at("sequence_number").as_int64() == static_cast<std::int64_t>(k));
        BOOST_TEST(ev.data[k].at("type").as_string() == ev.types[k]);
      }
      const auto& done = ev.data.back().at("response").as_object();
      BOOST_TEST(done.at("status").as_string() == "completed");
      BOOST_TEST(done.at("output").as_array()[0].at("content").as_array()[0].at("text").as_string() == "Hello");
      BOOST_TEST(done.at("output").as_array()[1].at("arguments").as_string() == R"({"city":"Paris"})");
      BOOST_TEST(done.at("output").as_array()[1].at("call_id").as_string() == "call_9");
      BOOST_TEST(done.at("usage").at("input_tokens").as_int64() == 20);
      BOOST_TEST(done.at("usage").at("input_tokens_details").at("cached_tokens").as_int64() == 4);
      BOOST_TEST(ev.data[0].at("response").at("usage").is_null());
    }
  }
}

BOOST_AUTO_TEST_CASE(a_break_is_an_error_event_then_response_failed_and_bad_chunks_are_errors) {
  ChatToResponsesStream t(echo());
  std::string out;
  BOOST_REQUIRE(t.on_chunk(R"({"choices":[{"index":0,"delta":{"content":"Hi"}}]})", out));
  Error e = make_error(errc::stall_timeout, "no bytes for 60000 ms", "p");
  t.on_error(e, out);
  const auto ev = parse_events(out);
  BOOST_REQUIRE(ev.types.size() >= 2u);
  BOOST_TEST(ev.types[ev.types.size() - 2] == "error");
  BOOST_TEST(ev.types.back() == "response.failed");
  BOOST_TEST(ev.data.back().at("response").at("status").as_string() == "failed");
  BOOST_TEST(ev.data.back().at("response").at("error").at("message").as_string().find("no bytes") != std::string::npos);
  std::string ignored;
  BOOST_TEST(!ChatToResponsesStream(echo()).on_chunk("{bad", ignored));
  BOOST_TEST(!ChatToResponsesStream(echo()).on_chunk(R"({"choices":[5]})", ignored));
  BOOST_TEST(!ChatToResponsesStream(echo()).on_chunk(R"({"choices":[{"delta":{"tool_calls":[{"index":99999}]}}]})", ignored));
  // An endless answer is cut, never held without a bound.
  ChatToResponsesStream endless(echo());
  const std::string piece(1024 * 1024, 'x');
  const std::string chunk = R"({"choices":[{"delta":{"content":")" + piece + R"("}}]})";
  std::string sink;
  bool cut = false;
  for (int i = 0; i < 40 && !cut; ++i) {
    sink.clear();
    auto r = endless.on_chunk(chunk, sink);
    if (!r) {
      cut = true;
      BOOST_TEST(r.error().message.find("longer than 32 MiB") != std::string::npos);
      BOOST_TEST(i == 32);
    }
  }
  BOOST_TEST(cut);
  // Azure's annotation chunks (no choices, or no delta) are tolerated.
  BOOST_TEST(ChatToResponsesStream(echo()).on_chunk(R"({"choices":[],"prompt_filter_results":[]})", ignored).has_value());
  BOOST_TEST(ChatToResponsesStream(echo()).on_chunk(R"({"choices":[{"index":0,"content_filter_offsets":{}}]})", ignored).has_value());
}

BOOST_AUTO_TEST_CASE(passed_through_a_responses_stream_leaves_as_it_came_at_every_split) {
  const std::string_view s(kResponsesStream);
  for (std::size_t i = 0; i <= s.size(); ++i) {
    ResponsesPassthrough t;
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
      BOOST_TEST(joined == kResponsesStream);
      BOOST_TEST(t.finished());
      BOOST_TEST(t.usage().prompt_tokens == 11);
      BOOST_TEST(t.usage().cached_tokens == 3);
      BOOST_TEST(t.usage().completion_tokens == 2);
      BOOST_TEST(t.usage().reasoning_tokens == 1);
    }
  }
  ResponsesPassthrough cut;
  std::vector<std::string> out;
  BOOST_REQUIRE(cut.on_event("response.output_text.delta", "{}", out));
  BOOST_TEST(cut.usage().completion_tokens == 1);
  BOOST_TEST(!cut.on_end(out));
  for (const char* error : {R"({"type":"error","code":"rate_limit_exceeded","message":"slow down","param":null})",
                            R"({"type":"error","sequence_number":2,"error":{"code":"rate_limit_exceeded","message":"slow down"}})"}) {
    auto r = ResponsesPassthrough().on_event("error", error, out);
    BOOST_REQUIRE(!r);
    BOOST_TEST(r.error().upstream_status == 429);
    BOOST_TEST(r.error().message.find("slow down") != std::string::npos);
  }
  BOOST_TEST(responses_body_usage(R"({"usage":{"input_tokens":4,"output_tokens":5}})").total() == 9);
  BOOST_TEST(!responses_body_usage("nope").reported);
}

BOOST_AUTO_TEST_SUITE_END()
