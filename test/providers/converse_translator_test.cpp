// OpenAI chat completions <-> Bedrock Converse, both ways, and the
// ConverseStream events → chunks; AWS error codes → retry classes; the
// InvokeModel body for Anthropic models.
#include <boost/test/unit_test.hpp>

#include <boost/json.hpp>

#include "providers/bedrock_invoke.hpp"
#include "providers/converse_translator.hpp"

using namespace switchyard;
using namespace switchyard::providers;
namespace json = boost::json;

namespace {
json::object req(std::string_view text) { return json::parse(text).as_object(); }
}  // namespace

BOOST_AUTO_TEST_SUITE(converse_translator)

BOOST_AUTO_TEST_CASE(a_conversation_with_tools_images_and_results) {
  auto out = openai_to_converse_request(req(R"({"model":"m","max_tokens":50,"top_p":0.5,"stop":"X",
    "messages":[{"role":"system","content":"Sys."},
      {"role":"user","content":[{"type":"text","text":"What is this?"},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}}]},
      {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"look","arguments":"{\"x\":1}"}}]},
      {"role":"tool","tool_call_id":"call_1","content":"a cat"},
      {"role":"user","content":"thanks"}],
    "tools":[{"type":"function","function":{"name":"look","description":"Looks","parameters":{"type":"object"}}}],
    "tool_choice":"required"})"), "amazon.nova-lite-v1:0");
  BOOST_REQUIRE(out);
  BOOST_TEST(json::serialize(out->at("system")) == R"([{"text":"Sys."}])");
  BOOST_TEST(json::serialize(out->at("messages")) ==
             R"([{"role":"user","content":[{"text":"What is this?"},{"image":{"format":"png","source":{"bytes":"iVBORw0KGgo="}}}]},)"
             R"({"role":"assistant","content":[{"toolUse":{"toolUseId":"call_1","name":"look","input":{"x":1}}}]},)"
             R"({"role":"user","content":[{"toolResult":{"toolUseId":"call_1","content":[{"text":"a cat"}],"status":"success"}},{"text":"thanks"}]}])");
  BOOST_TEST(json::serialize(out->at("inferenceConfig")) == R"({"maxTokens":50,"topP":5E-1,"stopSequences":["X"]})");
  BOOST_TEST(json::serialize(out->at("toolConfig")) ==
             R"({"tools":[{"toolSpec":{"name":"look","inputSchema":{"json":{"type":"object"}},"description":"Looks"}}],"toolChoice":{"any":{}}})");
}

BOOST_AUTO_TEST_CASE(images_bedrock_cannot_take_are_a_clear_error) {
  auto out = openai_to_converse_request(
      req(R"({"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://example.com/cat.png"}}]}]})"), "m");
  BOOST_REQUIRE(!out);
  BOOST_TEST(out.error().message.find("data URLs") != std::string::npos);
  auto s3 = openai_to_converse_request(
      req(R"({"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"s3://bucket/cat.webp"}}]}]})"), "m");
  BOOST_REQUIRE(s3);
  BOOST_TEST(json::serialize(s3->at("messages").at(0).at("content").at(0)) ==
             R"({"image":{"format":"webp","source":{"s3Location":{"uri":"s3://bucket/cat.webp"}}}})");
}

BOOST_AUTO_TEST_CASE(cache_marks_json_schema_and_thinking) {
  auto out = openai_to_converse_request(req(R"({"max_tokens":100,"temperature":1,"reasoning_effort":"low",
    "messages":[{"role":"system","content":[{"type":"text","text":"Policy.","cache_control":{"type":"ephemeral"}}]},
                {"role":"user","content":[{"type":"text","text":"Q","cache_control":{"type":"ephemeral"}}]}],
    "response_format":{"type":"json_schema","json_schema":{"name":"a","schema":{"type":"object"}}}})"),
                                         "us.anthropic.claude-sonnet-4-20250514-v1:0");
  BOOST_REQUIRE(out);
  BOOST_TEST(json::serialize(out->at("system")) == R"([{"text":"Policy."},{"cachePoint":{"type":"default"}}])");
  BOOST_TEST(json::serialize(out->at("messages").at(0).at("content")) == R"([{"text":"Q"},{"cachePoint":{"type":"default"}}])");
  BOOST_TEST(out->at("outputConfig").at("textFormat").at("structure").at("jsonSchema").at("schema").as_string() == R"({"type":"object"})");
  BOOST_TEST(json::serialize(out->at("additionalModelRequestFields")) == R"({"thinking":{"type":"enabled","budget_tokens":1024}})");
  BOOST_TEST(out->at("inferenceConfig").at("maxTokens").as_int64() == 1124);  // above the budget
  BOOST_TEST(!out->at("inferenceConfig").as_object().contains("temperature"));
}

BOOST_AUTO_TEST_CASE(a_whole_answer_with_reasoning_a_tool_call_and_cache_usage) {
  Usage usage;
  auto out = converse_to_openai_response(
      R"({"output":{"message":{"role":"assistant","content":[{"reasoningContent":{"reasoningText":{"text":"Hmm.","signature":"s"}}},)"
      R"({"text":"Let me look."},{"toolUse":{"toolUseId":"t1","name":"look","input":{"x":1}}}]}},"stopReason":"tool_use",)"
      R"("usage":{"inputTokens":10,"outputTokens":5,"totalTokens":15,"cacheReadInputTokens":100,"cacheWriteInputTokens":7},"metrics":{"latencyMs":1}})",
      "m", usage);
  BOOST_REQUIRE(out);
  auto j = json::parse(*out).as_object();
  const auto& msg = j.at("choices").at(0).at("message");
  BOOST_TEST(msg.at("content").as_string() == "Let me look.");
  BOOST_TEST(msg.at("reasoning_content").as_string() == "Hmm.");
  BOOST_TEST(msg.at("tool_calls").at(0).at("function").at("arguments").as_string() == R"({"x":1})");
  BOOST_TEST(j.at("choices").at(0).at("finish_reason").as_string() == "tool_calls");
  BOOST_TEST(usage.prompt_tokens == 117);
  BOOST_TEST(usage.cached_tokens == 100);
  BOOST_TEST(usage.cache_write_tokens == 7);
  BOOST_TEST(usage.completion_tokens == 5);
  BOOST_TEST(!converse_to_openai_response(R"({"output":{}})", "m", usage));
}

BOOST_AUTO_TEST_CASE(stream_events_become_chunks_and_the_end_is_checked) {
  ConverseStreamTranslator t("m", true);
  std::vector<std::string> out;
  BOOST_REQUIRE(t.on_event("messageStart", R"({"role":"assistant","p":"abc"})", out));
  BOOST_REQUIRE(t.on_event("contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"text":"Hi"}})", out));
  BOOST_REQUIRE(t.on_event("contentBlockStart", R"({"contentBlockIndex":1,"start":{"toolUse":{"toolUseId":"t1","name":"look"}}})", out));
  BOOST_REQUIRE(t.on_event("contentBlockDelta", R"({"contentBlockIndex":1,"delta":{"toolUse":{"input":"{\"x\":"}}})", out));
  BOOST_REQUIRE(t.on_event("someFutureEvent", R"(not even json)", out));  // skipped
  BOOST_REQUIRE(t.on_event("messageStop", R"({"stopReason":"tool_use"})", out));
  BOOST_TEST(!t.finished());
  BOOST_REQUIRE(t.on_event("metadata", R"({"usage":{"inputTokens":3,"outputTokens":4,"totalTokens":7},"metrics":{"latencyMs":1}})", out));
  BOOST_TEST(t.finished());
  BOOST_REQUIRE_EQUAL(out.size(), 6u);
  BOOST_TEST(out[1].find(R"("delta":{"content":"Hi"})") != std::string::npos);
  BOOST_TEST(out[2].find(R"("id":"t1")") != std::string::npos);
  BOOST_TEST(out[3].find(R"("arguments":"{\"x\":")") != std::string::npos);
  BOOST_TEST(out[4].find(R"("finish_reason":"tool_calls")") != std::string::npos);
  BOOST_TEST(out[5].find(R"("prompt_tokens":3)") != std::string::npos);
  BOOST_TEST(t.usage().completion_tokens == 4);

  ConverseStreamTranslator cut("m", false);
  BOOST_REQUIRE(cut.on_event("messageStart", R"({"role":"assistant"})", out));
  BOOST_TEST(!cut.on_end(out));  // no messageStop: a cut stream
  ConverseStreamTranslator bad("m", false);
  BOOST_TEST(!bad.on_event("contentBlockDelta", R"({"contentBlockIndex":3,"delta":{"toolUse":{"input":"x"}}})", out));
}

BOOST_AUTO_TEST_CASE(aws_errors_map_to_the_routers_retry_classes) {
  BOOST_TEST(aws_error_status("ThrottlingException") == 429);
  BOOST_TEST(aws_error_status("throttlingException") == 429);
  BOOST_TEST(aws_error_status("ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/") == 429);
  BOOST_TEST(aws_error_status("com.amazon.coral#ServiceUnavailableException") == 503);
  BOOST_TEST(aws_error_status("ModelNotReadyException") == 503);
  BOOST_TEST(aws_error_status("validationException") == 400);
  BOOST_TEST(aws_error_status("AccessDeniedException") == 403);
  BOOST_TEST(aws_error_status("modelStreamErrorException") == 424);
  BOOST_TEST(aws_error_status("") == 502);
  const Error e = aws_stream_exception("throttlingException", R"({"message":"Slow down"})");
  BOOST_TEST(e.upstream_status == 429);
  BOOST_TEST(e.message.find("Slow down") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(invoke_model_body_for_anthropic_models) {
  BOOST_TEST(bedrock_anthropic_model("anthropic.claude-3-5-haiku-20241022-v1:0"));
  BOOST_TEST(bedrock_anthropic_model("us.anthropic.claude-sonnet-4-20250514-v1:0"));
  BOOST_TEST(bedrock_anthropic_model("global.anthropic.claude-sonnet-4-5-20250929-v1:0"));
  BOOST_TEST(!bedrock_anthropic_model("amazon.nova-lite-v1:0"));
  BOOST_TEST(!bedrock_anthropic_model("meta.llama3-70b-instruct-v1:0"));
  NativeRequest n;
  n.body = req(R"({"model":"fast","stream":true,"max_tokens":5,"messages":[]})");
  n.headers = {{"anthropic-beta", "a-1, b-2"}};
  BOOST_TEST(bedrock_invoke_body(n) == R"({"anthropic_version":"bedrock-2023-05-31","max_tokens":5,"messages":[],"anthropic_beta":["a-1","b-2"]})");
}

BOOST_AUTO_TEST_SUITE_END()
