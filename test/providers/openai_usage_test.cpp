#include <boost/test/unit_test.hpp>

#include <boost/json.hpp>

#include "providers/openai_usage.hpp"

using namespace switchyard;
using namespace switchyard::providers;

BOOST_AUTO_TEST_CASE(usage_is_found_in_bodies_and_chunks_without_parsing_them) {
  auto u = find_openai_usage(
      R"({"id":"x","choices":[{"message":{"content":"the \"usage\": {\"prompt_tokens\":1} in content is not a key"}}],)"
      R"("usage":{"prompt_tokens":120,"completion_tokens":30,"total_tokens":150,)"
      R"("prompt_tokens_details":{"cached_tokens":20},"completion_tokens_details":{"reasoning_tokens":7}}})");
  BOOST_REQUIRE(u);
  BOOST_TEST(u->prompt_tokens == 120);
  BOOST_TEST(u->completion_tokens == 30);
  BOOST_TEST(u->cached_tokens == 20);
  BOOST_TEST(u->reasoning_tokens == 7);
  BOOST_TEST(u->reported);
  BOOST_TEST(u->total() == 150);
  BOOST_TEST(!find_openai_usage(R"({"choices":[{"delta":{"content":"hi"}}],"usage":null})"));
  BOOST_TEST(!find_openai_usage(R"({"choices":[{"delta":{"content":"\"usage\":{\"prompt_tokens\":5}"}}]})"));
  BOOST_TEST(!find_openai_usage(R"({"usage":{"prompt_tokens":5,)"));  // cut short
  BOOST_TEST(!find_openai_usage(""));
  auto braces = find_openai_usage(R"({"usage":{"note":"a } and a \" {","prompt_tokens":3,"completion_tokens":"x"},"after":1})");
  BOOST_REQUIRE(braces);
  BOOST_TEST(braces->prompt_tokens == 3);
  BOOST_TEST(braces->completion_tokens == 0);  // not an integer
  auto spaced = find_openai_usage("{\"usage\": \n {\"prompt_tokens\":5,\"completion_tokens\":1}}");
  BOOST_REQUIRE(spaced);
  BOOST_TEST(spaced->prompt_tokens == 5);
}

BOOST_AUTO_TEST_CASE(usage_round_trips_through_openai_json) {
  Usage u;
  u.prompt_tokens = 10;
  u.completion_tokens = 4;
  BOOST_TEST(boost::json::serialize(openai_usage_json(u)) == R"({"prompt_tokens":10,"completion_tokens":4,"total_tokens":14})");
  u.cached_tokens = 3;
  u.reasoning_tokens = 2;
  const auto chunk = openai_usage_chunk("id-1", "m", u);
  BOOST_TEST(chunk ==
             R"({"id":"id-1","object":"chat.completion.chunk","created":0,"model":"m","choices":[],"usage":{"prompt_tokens":10,)"
             R"("completion_tokens":4,"total_tokens":14,"prompt_tokens_details":{"cached_tokens":3},"completion_tokens_details":{"reasoning_tokens":2}}})");
  auto back = find_openai_usage(chunk);
  BOOST_REQUIRE(back);
  BOOST_TEST(back->cached_tokens == 3);
  BOOST_TEST(back->reasoning_tokens == 2);
  Usage sum = u;
  sum += u;
  BOOST_TEST(sum.total() == 28);
}
