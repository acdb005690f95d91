// providers/embeddings: request checks, the float32 base64 layout, OpenAI
// answers re-encoded when needed, Gemini translated both ways (golden).
#include <boost/test/unit_test.hpp>

#include <boost/json.hpp>

#include "providers/embeddings.hpp"

using namespace switchyard;
using namespace switchyard::providers;
namespace json = boost::json;

BOOST_AUTO_TEST_SUITE(embeddings_format)

BOOST_AUTO_TEST_CASE(inputs_in_every_shape_are_read) {
  const auto body = json::parse(R"({"input":"abcdefgh"})");  // texts are views into the request
  auto one = read_embedding_request(body.as_object());
  BOOST_REQUIRE(one);
  BOOST_TEST(one->items == 1u);
  BOOST_TEST(one->texts.at(0) == "abcdefgh");
  BOOST_TEST(one->estimated_tokens == 2);
  auto many = read_embedding_request(json::parse(R"({"input":["a","bb",[1,2,3]]})").as_object());
  BOOST_REQUIRE(many);
  BOOST_TEST(many->items == 3u);
  BOOST_TEST(many->token_arrays == 1u);
  BOOST_TEST(many->estimated_tokens == 1 + 1 + 3);
  auto tokens = read_embedding_request(json::parse(R"({"input":[5,6]})").as_object());
  BOOST_REQUIRE(tokens);
  BOOST_TEST(tokens->token_arrays == 1u);
  BOOST_TEST(tokens->texts.empty());
  for (const char* bad : {R"({})", R"({"input":5})", R"({"input":[-1]})", R"({"input":[[]]})", R"({"input":["a",null]})",
                          R"({"input":"a","encoding_format":"int8"})", R"({"input":"a","dimensions":0})", R"({"input":"a","dimensions":"8"})"}) {
    auto r = read_embedding_request(json::parse(bad).as_object());
    BOOST_TEST(!r, bad);
    if (!r) BOOST_TEST((r.error().code == errc::invalid_request));
  }
  std::string huge = R"({"input":[)";
  for (int i = 0; i <= 2048; ++i) huge += std::string(i ? "," : "") + "\"x\"";
  huge += "]}";
  BOOST_TEST(!read_embedding_request(json::parse(huge).as_object()));
}

BOOST_AUTO_TEST_CASE(vectors_are_packed_little_endian_float32) {
  std::string out;
  BOOST_TEST(append_float32_base64(out, json::array{1.0, -2.0, 0}));
  // 1.0f = 00 00 80 3f, -2.0f = 00 00 00 c0, 0 = 00 00 00 00
  BOOST_TEST(out == "AACAPwAAAMAAAAAA");
  std::string bad;
  BOOST_TEST(!append_float32_base64(bad, json::array{1.0, "x"}));
}

BOOST_AUTO_TEST_CASE(openai_answers_are_re_encoded_only_when_needed) {
  const std::string floats = R"({"object":"list","data":[{"object":"embedding","index":0,"embedding": [1.0,-2.0]}],"model":"m","usage":{"prompt_tokens":1,"total_tokens":1}})";
  auto same = embeddings_for_client(floats, false, "p");
  BOOST_REQUIRE(same);
  BOOST_TEST(*same == floats);
  auto encoded = embeddings_for_client(floats, true, "p");
  BOOST_REQUIRE(encoded);
  const auto j = json::parse(*encoded);
  BOOST_TEST(j.at("data").as_array()[0].at("embedding").as_string() == "AACAPwAAAMA=");
  BOOST_TEST(j.at("usage").at("prompt_tokens").as_int64() == 1);
  const std::string already = R"({"object":"list","data":[{"object":"embedding","index":0,"embedding":"AACAPw=="}]})";
  auto kept = embeddings_for_client(already, true, "p");
  BOOST_REQUIRE(kept);
  BOOST_TEST(*kept == already);
  auto broken = embeddings_for_client(R"({"data":[{"embedding":["x"]}]})", true, "p");
  BOOST_TEST(!broken);
  if (!broken) BOOST_TEST((broken.error().code == errc::upstream_bad_response));
}

BOOST_AUTO_TEST_CASE(gemini_request_golden) {
  auto r = openai_to_gemini_embeddings(json::parse(R"({"model":"e","input":["a","b"],"dimensions":3})").as_object(), "models/gemini-embedding-001");
  BOOST_REQUIRE(r);
  BOOST_TEST(json::parse(*r) == json::parse(R"({"requests":[
      {"model":"models/gemini-embedding-001","content":{"parts":[{"text":"a"}]},"outputDimensionality":3},
      {"model":"models/gemini-embedding-001","content":{"parts":[{"text":"b"}]},"outputDimensionality":3}]})"));
  auto plain = openai_to_gemini_embeddings(json::parse(R"({"input":"a"})").as_object(), "m");
  BOOST_REQUIRE(plain);
  BOOST_TEST(json::parse(*plain) == json::parse(R"({"requests":[{"model":"models/m","content":{"parts":[{"text":"a"}]}}]})"));
  BOOST_TEST(!openai_to_gemini_embeddings(json::parse(R"({"input":[[1,2]]})").as_object(), "m"));
}

BOOST_AUTO_TEST_CASE(gemini_answer_golden_and_checked) {
  const std::string answer = R"({"embeddings":[{"values":[0.5,-0.25]},{"values":[1,2]}]})";
  auto floats = gemini_to_openai_embeddings(answer, "g", false, 2, 7);
  BOOST_REQUIRE(floats);
  BOOST_TEST(json::parse(*floats) == json::parse(R"({"object":"list","data":[
      {"object":"embedding","index":0,"embedding":[0.5,-0.25]},{"object":"embedding","index":1,"embedding":[1,2]}],
      "model":"g","usage":{"prompt_tokens":7,"total_tokens":7}})"));
  auto b64 = gemini_to_openai_embeddings(answer, "g", true, 2, 7);
  BOOST_REQUIRE(b64);
  BOOST_TEST(json::parse(*b64).at("data").as_array()[1].at("embedding").as_string() == "AACAPwAAAEA=");
  BOOST_TEST(!gemini_to_openai_embeddings(answer, "g", false, 3, 7));  // one vector per input, or an error
  BOOST_TEST(!gemini_to_openai_embeddings(R"({"embeddings":[{"values":["x"]}]})", "g", false, 1, 1));
  BOOST_TEST(!gemini_to_openai_embeddings(R"({"embedding":{}})", "g", false, 1, 1));
  BOOST_TEST(!gemini_to_openai_embeddings("not json", "g", false, 1, 1));
}

BOOST_AUTO_TEST_SUITE_END()
