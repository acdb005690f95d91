#include <boost/test/unit_test.hpp>

#include "providers/quota_headers.hpp"
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

BOOST_AUTO_TEST_CASE(quota_headers_of_openai_and_anthropic_are_read) {
  using switchyard::providers::parse_openai_duration;
  BOOST_TEST(*parse_openai_duration("20ms") == 20);
  BOOST_TEST(*parse_openai_duration("1s") == 1000);
  BOOST_TEST(*parse_openai_duration("6m0s") == 360'000);
  BOOST_TEST(*parse_openai_duration("1h2m3.5s") == 3'723'500);
  BOOST_TEST(!parse_openai_duration("soon").has_value());
  BOOST_TEST(!parse_openai_duration("").has_value());
  boost::beast::http::fields openai;
  openai.set("X-RateLimit-Remaining-Requests", "0");
  openai.set("x-ratelimit-reset-requests", "6m0s");
  openai.set("x-ratelimit-remaining-tokens", "149984");
  auto r = switchyard::providers::read_quota_headers(openai, 0);
  BOOST_TEST(*r.requests_remaining == 0u);
  BOOST_TEST(r.requests_reset_ms == 360'000);
  BOOST_TEST(*r.tokens_remaining == 149984u);
  boost::beast::http::fields anthropic;
  anthropic.set("anthropic-ratelimit-tokens-remaining", "0");
  anthropic.set("anthropic-ratelimit-tokens-reset", "2026-11-30T00:01:00Z");
  const std::int64_t now = 1'764'460'800'000;  // 2025-11-30T00:00:00Z
  auto a = switchyard::providers::read_quota_headers(anthropic, now + 365LL * 86'400'000);  // 2026-11-30T00:00:00Z
  BOOST_TEST(*a.tokens_remaining == 0u);
  BOOST_TEST(a.tokens_reset_ms == 60'000);
  boost::beast::http::fields none;
  none.set("x-request-id", "abc");
  BOOST_TEST(switchyard::providers::read_quota_headers(none, 0).empty());
}
