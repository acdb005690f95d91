#define BOOST_TEST_MODULE upstream_error
#include <boost/test/unit_test.hpp>

#include "providers/upstream_error.hpp"

using namespace switchyard;
using namespace switchyard::providers;

BOOST_AUTO_TEST_CASE(reads_an_openai_error_body) {
  auto e = error_from_upstream(429, R"({"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}})", "3", "oai", "sk-secret");
  BOOST_TEST((e.code == errc::upstream_status));
  BOOST_TEST(e.upstream_status == 429);
  BOOST_TEST(e.retry_after == "3");
  BOOST_TEST(e.provider == "oai");
  BOOST_TEST(e.message == "returned HTTP 429: Rate limit reached");
  BOOST_TEST(e.upstream_error.find("rate_limit_exceeded") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(non_json_bodies_give_a_short_clean_snippet) {
  auto e = error_from_upstream(502, "<html>\nBad Gateway\n</html>" + std::string(1000, 'x'), "", "oai", "sk-secret");
  BOOST_TEST(e.message.find("returned HTTP 502: <html> Bad Gateway") == 0u);
  BOOST_TEST(e.message.size() < 260u);
  BOOST_TEST(e.message.find('\n') == std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_provider_key_is_scrubbed_from_what_the_upstream_echoes) {
  auto e = error_from_upstream(401, R"({"error":{"message":"Incorrect API key provided: sk-secret-123456.","code":"invalid_api_key"}})", "", "oai", "sk-secret-123456");
  BOOST_TEST(e.message.find("sk-secret-123456") == std::string::npos);
  BOOST_TEST(e.upstream_error.find("sk-secret-123456") == std::string::npos);
  BOOST_TEST(e.message.find("[redacted]") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(errors_inside_a_stream_are_recognised) {
  BOOST_TEST(!error_in_stream(R"({"id":"c","choices":[{"delta":{"content":"the \"error\" word"}}]})", "or", "k").has_value());
  auto e = error_in_stream(R"({"error":{"message":"Provider overloaded","code":503}})", "or", "k");
  BOOST_REQUIRE(e.has_value());
  BOOST_TEST(e->upstream_status == 503);
  BOOST_TEST(e->message.find("Provider overloaded") != std::string::npos);
  // OpenRouter's mid-stream error: a chunk with a top-level error and finish_reason "error".
  auto routed = error_in_stream(R"({"id":"gen-1","object":"chat.completion.chunk","created":1,"model":"openai/gpt-4o",)"
                                R"("error":{"code":"server_error","message":"Provider disconnected"},)"
                                R"("choices":[{"index":0,"delta":{"content":""},"finish_reason":"error"}]})", "or", "k");
  BOOST_REQUIRE(routed.has_value());
  BOOST_TEST(routed->upstream_status == 502);
  BOOST_TEST(routed->message.find("Provider disconnected") != std::string::npos);
  auto plain = error_in_stream(R"({"error":"boom"})", "or", "k");
  BOOST_REQUIRE(plain.has_value());
  BOOST_TEST(plain->upstream_status == 502);
}
