// Golden translations written from Google's Gemini API reference
// (generateContent, streamGenerateContent, function calling) and OpenAI's.
#include <boost/test/unit_test.hpp>

#include <boost/json.hpp>

#include "providers/gemini_client.hpp"
#include "providers/gemini_translator.hpp"
#include "sse/sse_parser.hpp"

using namespace switchyard;
using namespace switchyard::providers;
namespace json = boost::json;

namespace {
json::object obj(std::string_view s) { return json::parse(s).as_object(); }
}  // namespace

BOOST_AUTO_TEST_CASE(request_maps_system_roles_images_tools_and_generation_config) {
  auto in = obj(R"({
    "model":"smart","temperature":0.2,"top_p":0.9,"max_tokens":256,"stop":"END","seed":7,"stream":true,
    "messages":[
      {"role":"system","content":"Be brief."},
      {"role":"developer","content":[{"type":"text","text":"Use metric units."}]},
      {"role":"user","content":[{"type":"text","text":"What is in this image?"},
                                {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}},
                                {"type":"image_url","image_url":{"url":"https://example.com/cat.webp?size=2"}}]},
      {"role":"assistant","content":"Let me check.","tool_calls":[{"id":"call_9","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},
      {"role":"tool","tool_call_id":"call_9","content":"{\"temp_c\":18}"},
      {"role":"tool","tool_call_id":"call_9","content":"sunny"},
      {"role":"user","content":"Thanks"}],
    "tools":[{"type":"function","function":{"name":"get_weather","description":"Weather by city","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"],"additionalProperties":false}}}],
    "tool_choice":{"type":"function","function":{"name":"get_weather"}},
    "response_format":{"type":"json_schema","json_schema":{"name":"w","schema":{"type":"object"}}}})");
  auto out = openai_to_gemini_request(in);
  BOOST_REQUIRE(out);
  const auto& g = *out;
  BOOST_TEST(!g.contains("model"));   // the model is in the URL
  BOOST_TEST(!g.contains("stream"));  // so is streaming
  BOOST_TEST(json::serialize(g.at("systemInstruction")) == R"({"parts":[{"text":"Be brief.\n\nUse metric units."}]})");
  const auto& contents = g.at("contents").as_array();
  BOOST_REQUIRE(contents.size() == 3);  // user, model, user (both tool results and "Thanks": turns alternate)
  BOOST_TEST(json::serialize(contents[0]) ==
             R"({"role":"user","parts":[{"text":"What is in this image?"},{"inlineData":{"mimeType":"image/png","data":"iVBORw0KGgo="}},)"
             R"({"fileData":{"mimeType":"image/webp","fileUri":"https://example.com/cat.webp?size=2"}}]})");
  BOOST_TEST(json::serialize(contents[1]) ==
             R"({"role":"model","parts":[{"text":"Let me check."},{"functionCall":{"name":"get_weather","args":{"city":"Paris"}}}]})");
  BOOST_TEST(json::serialize(contents[2]) ==
             R"({"role":"user","parts":[{"functionResponse":{"name":"get_weather","response":{"temp_c":18}}},)"
             R"({"functionResponse":{"name":"get_weather","response":{"content":"sunny"}}},{"text":"Thanks"}]})");
  BOOST_TEST(json::serialize(g.at("generationConfig")) ==
             R"({"maxOutputTokens":256,"temperature":2E-1,"topP":9E-1,"seed":7,"stopSequences":["END"],)"
             R"("responseMimeType":"application/json","responseJsonSchema":{"type":"object"}})");
  BOOST_TEST(json::serialize(g.at("tools")) ==
             R"([{"functionDeclarations":[{"name":"get_weather","description":"Weather by city","parametersJsonSchema":)"
             R"({"type":"object","properties":{"city":{"type":"string"}},"required":["city"],"additionalProperties":false}}]}])");
  BOOST_TEST(json::serialize(g.at("toolConfig")) ==
             R"({"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["get_weather"]}})");
}

BOOST_AUTO_TEST_CASE(request_tool_choice_modes_and_bad_input) {
  for (auto [choice, mode] : {std::pair{"auto", "AUTO"}, {"none", "NONE"}, {"required", "ANY"}}) {
    auto r = openai_to_gemini_request(obj(std::string(R"({"messages":[{"role":"user","content":"x"}],"tool_choice":")") + choice + "\"}"));
    BOOST_REQUIRE(r);
    BOOST_TEST(r->at("toolConfig").at("functionCallingConfig").at("mode").as_string() == mode);
  }
  auto json_mode = openai_to_gemini_request(obj(R"({"messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_object"}})"));
  BOOST_TEST(json::serialize(json_mode->at("generationConfig")) == R"({"responseMimeType":"application/json"})");
  for (const char* bad : {
           R"({"messages":"hi"})",
           R"({"messages":[{"content":"no role"}]})",
           R"({"messages":[{"role":"wizard","content":"x"}]})",
           R"({"messages":[{"role":"tool","tool_call_id":"call_unknown","content":"x"}]})",  // no call to answer
           R"({"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png,rawbytes"}}]}]})",
           R"({"messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"[1]"}}]}]})",
           R"({"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function"}]})",
           R"({"messages":[{"role":"assistant","tool_calls":[{"id":"c"}]}]})"}) {
    BOOST_TEST_CONTEXT(bad) {
      auto r = openai_to_gemini_request(obj(bad));
      BOOST_REQUIRE(!r);
      BOOST_TEST((r.error().code == errc::invalid_request));
    }
  }
}

BOOST_AUTO_TEST_CASE(model_names_become_url_paths) {
  BOOST_TEST(*gemini_path("gemini-2.5-flash", "generateContent") == "/models/gemini-2.5-flash:generateContent");
  BOOST_TEST(*gemini_path("models/gemini-2.0-flash-001", "streamGenerateContent?alt=sse") ==
             "/models/gemini-2.0-flash-001:streamGenerateContent?alt=sse");
  for (const char* bad : {"", "a/b", "x?key=1", "model name", "../models"}) BOOST_TEST(!gemini_path(bad, "generateContent"));
}

BOOST_AUTO_TEST_CASE(response_maps_text_function_calls_finish_reasons_and_usage) {
  Usage usage;
  auto out = gemini_to_openai_response(R"({
    "candidates":[{"content":{"role":"model","parts":[
        {"text":"thinking about it","thought":true},
        {"text":"Checking the weather."},
        {"functionCall":{"name":"get_weather","args":{"city":"Paris"}}},
        {"functionCall":{"id":"fc_7","name":"get_time","args":{}}}]},
      "finishReason":"STOP","index":0,"safetyRatings":[]}],
    "usageMetadata":{"promptTokenCount":100,"candidatesTokenCount":30,"totalTokenCount":142,"cachedContentTokenCount":40,"thoughtsTokenCount":12},
    "modelVersion":"gemini-2.5-flash","responseId":"resp_1"})", "smart-model", usage);
  BOOST_REQUIRE(out);
  auto r = obj(*out);
  BOOST_TEST(r.at("object").as_string() == "chat.completion");
  BOOST_TEST(r.at("id").as_string() == "resp_1");
  BOOST_TEST(r.at("model").as_string() == "smart-model");
  const auto& choice = r.at("choices").as_array()[0].as_object();
  BOOST_TEST(choice.at("finish_reason").as_string() == "tool_calls");
  BOOST_TEST(choice.at("message").at("content").as_string() == "Checking the weather.");
  BOOST_TEST(json::serialize(choice.at("message").at("tool_calls")) ==
             R"([{"id":"call_0","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},)"
             R"({"id":"fc_7","type":"function","function":{"name":"get_time","arguments":"{}"}}])");
  BOOST_TEST(json::serialize(r.at("usage")) ==
             R"({"prompt_tokens":100,"completion_tokens":42,"total_tokens":142,"prompt_tokens_details":{"cached_tokens":40},)"
             R"("completion_tokens_details":{"reasoning_tokens":12}})");
  BOOST_TEST(usage.reported);
  BOOST_TEST(usage.prompt_tokens == 100);
  BOOST_TEST(usage.completion_tokens == 42);
  BOOST_TEST(usage.cached_tokens == 40);
  BOOST_TEST(usage.reasoning_tokens == 12);

  for (auto [reason, finish] : {std::pair{"STOP", "stop"}, {"MAX_TOKENS", "length"}, {"SAFETY", "content_filter"},
                                {"RECITATION", "content_filter"}, {"PROHIBITED_CONTENT", "content_filter"}, {"OTHER", "stop"}}) {
    BOOST_TEST(gemini_finish_reason(reason, false) == finish);
  }
  BOOST_TEST(gemini_finish_reason("STOP", true) == "tool_calls");

  // A blocked prompt: no candidates, promptFeedback says why.
  auto blocked = gemini_to_openai_response(R"({"promptFeedback":{"blockReason":"SAFETY"},"usageMetadata":{"promptTokenCount":8,"totalTokenCount":8}})", "m", usage);
  BOOST_REQUIRE(blocked);
  BOOST_TEST(obj(*blocked).at("choices").as_array()[0].at("finish_reason").as_string() == "content_filter");
  BOOST_TEST(obj(*blocked).at("choices").as_array()[0].at("message").at("content").as_string() == "");

  BOOST_TEST(!gemini_to_openai_response("not json", "m", usage));
  BOOST_TEST(!gemini_to_openai_response(R"({"candidates":[]})", "m", usage));
  BOOST_TEST(!gemini_to_openai_response(R"({"candidates":[{"content":{"parts":[{"functionCall":{"args":{}}}]}}]})", "m", usage));
  auto err = gemini_to_openai_response(R"({"error":{"code":429,"message":"Resource has been exhausted","status":"RESOURCE_EXHAUSTED"}})", "m", usage);
  BOOST_REQUIRE(!err);
  BOOST_TEST(err.error().upstream_status == 429);
}

BOOST_AUTO_TEST_CASE(rpc_statuses_map_to_http_statuses) {
  BOOST_TEST(gemini_error_status("INVALID_ARGUMENT") == 400);
  BOOST_TEST(gemini_error_status("UNAUTHENTICATED") == 401);
  BOOST_TEST(gemini_error_status("PERMISSION_DENIED") == 403);
  BOOST_TEST(gemini_error_status("NOT_FOUND") == 404);
  BOOST_TEST(gemini_error_status("RESOURCE_EXHAUSTED") == 429);
  BOOST_TEST(gemini_error_status("UNAVAILABLE") == 503);
  BOOST_TEST(gemini_error_status("INTERNAL") == 500);
}

namespace {
// streamGenerateContent?alt=sse: every frame a whole response with the next
// parts, CRLF framing as Google sends it, usage on every frame, no [DONE].
const std::string kStream =
    "data: " R"({"candidates":[{"content":{"parts":[{"text":"Pondering.","thought":true},{"text":"Hel"}],"role":"model"},"index":0}],"usageMetadata":{"promptTokenCount":9,"totalTokenCount":9},"modelVersion":"gemini-2.5-flash","responseId":"r1"})" "\r\n\r\n"
    "data: " R"({"candidates":[{"content":{"parts":[{"text":"lo, "}],"role":"model"},"index":0}],"usageMetadata":{"promptTokenCount":9,"candidatesTokenCount":2,"totalTokenCount":11},"responseId":"r1"})" "\r\n\r\n"
    "data: " R"({"candidates":[{"content":{"parts":[{"text":"checking."},{"functionCall":{"name":"get_weather","args":{"city":"Paris"}}}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":9,"candidatesTokenCount":14,"totalTokenCount":27,"thoughtsTokenCount":4},"responseId":"r1"})" "\r\n\r\n";

struct Translated {
  std::string text, reasoning, tool_id, tool_name, tool_args, finish, usage, id;
  int roles = 0;
  bool ended = false;
};

Translated translate(const std::vector<std::string_view>& pieces, bool end = true) {
  GeminiStreamTranslator t("smart-model", true);
  sse::SseParser p;
  std::vector<std::string> chunks;
  for (auto piece : pieces) {
    p.feed(piece);
    sse::SseEvent ev;
    while (p.next(ev) == sse::SseStatus::event) BOOST_REQUIRE(t.on_frame(ev.data, chunks));
  }
  Translated out;
  if (end) out.ended = static_cast<bool>(t.on_end(chunks));
  for (const auto& c : chunks) {
    auto j = obj(c);
    BOOST_REQUIRE(j.at("object").as_string() == "chat.completion.chunk");
    BOOST_REQUIRE(j.at("model").as_string() == "smart-model");
    out.id = std::string(j.at("id").as_string());
    if (j.at("choices").as_array().empty()) {
      out.usage = json::serialize(j.at("usage"));
      continue;
    }
    const auto& choice = j.at("choices").as_array()[0].as_object();
    const auto& delta = choice.at("delta").as_object();
    if (delta.contains("role")) ++out.roles;
    if (const auto* c2 = delta.if_contains("content"); c2 && c2->is_string()) out.text += std::string_view(c2->as_string());
    if (const auto* r = delta.if_contains("reasoning_content"); r && r->is_string()) out.reasoning += std::string_view(r->as_string());
    if (const auto* calls = delta.if_contains("tool_calls")) {
      const auto& call = calls->as_array()[0].as_object();
      BOOST_REQUIRE(call.at("index").as_int64() == 0);
      out.tool_id = std::string(call.at("id").as_string());
      out.tool_name = std::string(call.at("function").at("name").as_string());
      out.tool_args += std::string_view(call.at("function").at("arguments").as_string());
    }
    if (choice.at("finish_reason").is_string()) out.finish = std::string(choice.at("finish_reason").as_string());
  }
  return out;
}
}  // namespace

BOOST_AUTO_TEST_CASE(a_gemini_stream_becomes_openai_chunks_at_every_split) {
  const std::string_view s(kStream);
  for (std::size_t i = 0; i <= s.size(); ++i) {
    auto t = translate({s.substr(0, i), s.substr(i)});
    BOOST_TEST_CONTEXT("split at " << i) {
      BOOST_REQUIRE(t.ended);
      BOOST_TEST(t.roles == 1);
      BOOST_TEST(t.id == "r1");
      BOOST_TEST(t.text == "Hello, checking.");
      BOOST_TEST(t.reasoning == "Pondering.");  // a thought summary: reasoning_content, never content
      BOOST_TEST(t.tool_id == "call_0");
      BOOST_TEST(t.tool_name == "get_weather");
      BOOST_TEST(t.tool_args == R"({"city":"Paris"})");
      BOOST_TEST(t.finish == "tool_calls");
      BOOST_TEST(t.usage == R"({"prompt_tokens":9,"completion_tokens":18,"total_tokens":27,"completion_tokens_details":{"reasoning_tokens":4}})");
    }
  }
  std::vector<std::string_view> bytes;
  for (std::size_t i = 0; i < s.size(); ++i) bytes.push_back(s.substr(i, 1));
  BOOST_TEST(translate(bytes).text == "Hello, checking.");
}

BOOST_AUTO_TEST_CASE(reasoning_effort_becomes_a_thinking_config) {
  const std::pair<const char*, const char*> cases[] = {
      {"low", R"({"thinkingBudget":1024,"includeThoughts":true})"},
      {"medium", R"({"thinkingBudget":8192,"includeThoughts":true})"},
      {"high", R"({"thinkingBudget":24576,"includeThoughts":true})"},
      {"none", R"({"thinkingBudget":0,"includeThoughts":false})"}};
  for (const auto& [effort, config] : cases) {
    auto g = openai_to_gemini_request(obj(std::string(R"({"messages":[{"role":"user","content":"x"}],"reasoning_effort":")") + effort + "\"}"));
    BOOST_REQUIRE(g);
    BOOST_TEST(g->at("generationConfig").at("thinkingConfig") == json::parse(config), effort);
  }
  auto unknown = openai_to_gemini_request(obj(R"({"messages":[{"role":"user","content":"x"}],"reasoning_effort":"odd"})"));
  BOOST_REQUIRE(unknown);
  BOOST_TEST(!unknown->contains("generationConfig"));
}

BOOST_AUTO_TEST_CASE(a_stream_that_ends_without_a_finish_reason_is_cut) {
  const std::string_view s(kStream);
  const auto two_frames = s.substr(0, s.rfind("data: "));
  GeminiStreamTranslator t("m", false);
  sse::SseParser p;
  std::vector<std::string> chunks;
  p.feed(two_frames);
  sse::SseEvent ev;
  while (p.next(ev) == sse::SseStatus::event) BOOST_REQUIRE(t.on_frame(ev.data, chunks));
  auto end = t.on_end(chunks);
  BOOST_REQUIRE(!end);
  BOOST_TEST((end.error().code == errc::upstream_reset));
  // Usage up to the cut: the prompt as reported, the completion so far.
  BOOST_TEST(t.usage().prompt_tokens == 9);
  BOOST_TEST(t.usage().completion_tokens == 2);
}

BOOST_AUTO_TEST_CASE(an_error_frame_and_a_blocked_prompt_in_a_stream) {
  GeminiStreamTranslator t("m", false);
  std::vector<std::string> out;
  auto r = t.on_frame(R"({"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}})", out);
  BOOST_REQUIRE(!r);
  BOOST_TEST(r.error().upstream_status == 503);
  BOOST_TEST(r.error().message.find("overloaded") != std::string::npos);
  BOOST_TEST(!t.on_frame("{not json", out));
  BOOST_TEST(!t.on_frame(R"({"candidates":[{"content":{"parts":[{"functionCall":{}}]}}]})", out));

  GeminiStreamTranslator blocked("m", false);
  std::vector<std::string> chunks;
  BOOST_REQUIRE(blocked.on_frame(R"({"promptFeedback":{"blockReason":"PROHIBITED_CONTENT"}})", chunks));
  BOOST_REQUIRE(blocked.on_end(chunks));
  BOOST_REQUIRE(chunks.size() == 2u);
  BOOST_TEST(obj(chunks[1]).at("choices").as_array()[0].at("finish_reason").as_string() == "content_filter");
}
