#include <boost/test/unit_test.hpp>

#include <boost/json.hpp>

#include "providers/openai_chunk_writer.hpp"

using namespace switchyard;
using namespace switchyard::providers;
namespace json = boost::json;

BOOST_AUTO_TEST_CASE(chunks_are_openai_chunk_json_with_escaped_ids_and_models) {
  OpenAiChunkWriter w("chatcmpl-x", "fast", false);
  BOOST_TEST(w.chunk(R"({"content":"hi"})") ==
             R"({"id":"chatcmpl-x","object":"chat.completion.chunk","created":0,"model":"fast","choices":[{"index":0,"delta":{"content":"hi"},"logprobs":null,"finish_reason":null}]})");
  // A provider id with characters JSON must escape still gives valid JSON.
  w.set_id("msg_\"odd\"\\id");
  const auto c = json::parse(w.chunk("{}", "stop")).as_object();
  BOOST_TEST(c.at("id").as_string() == "msg_\"odd\"\\id");
  BOOST_TEST(c.at("choices").as_array()[0].at("finish_reason").as_string() == "stop");
  BOOST_TEST(!c.contains("usage"));

  OpenAiChunkWriter with_usage("id", "m\"x", true);
  const auto u = json::parse(with_usage.chunk("{}")).as_object();
  BOOST_TEST(u.at("usage").is_null());
  BOOST_TEST(u.at("model").as_string() == "m\"x");
  Usage usage;
  usage.prompt_tokens = 3;
  usage.completion_tokens = 2;
  const auto last = json::parse(with_usage.usage_chunk(usage)).as_object();
  BOOST_TEST(last.at("choices").as_array().empty());
  BOOST_TEST(last.at("usage").at("total_tokens").as_int64() == 5);
}
