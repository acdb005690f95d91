#include <boost/test/unit_test.hpp>

#include <boost/json.hpp>

#include "auth/key_store.hpp"
#include "server/rate_limit_headers.hpp"

using namespace switchyard;
using std::chrono::milliseconds;

BOOST_AUTO_TEST_SUITE(rate_limit_headers)

BOOST_AUTO_TEST_CASE(reset_times_are_in_openai_duration_format) {
  using server::openai_duration;
  BOOST_TEST(openai_duration(milliseconds(20)) == "20ms");
  BOOST_TEST(openai_duration(milliseconds(1000)) == "1s");
  BOOST_TEST(openai_duration(milliseconds(1500)) == "1.5s");
  BOOST_TEST(openai_duration(milliseconds(360'000)) == "6m0s");
  BOOST_TEST(openai_duration(milliseconds(3'723'000)) == "1h2m3s");
  BOOST_TEST(openai_duration(milliseconds(-5)) == "0ms");
}

// Every answer to a key with limits carries the tightest windows, admitted or refused.
BOOST_AUTO_TEST_CASE(the_rate_limit_headers_are_added_whether_admitted_or_refused) {
  for (bool refuse : {false, true}) {
    Admission a;
    a.requests = LimitStatus{60, refuse ? 0u : 59u, milliseconds(1000)};
    a.tokens = LimitStatus{100'000, 99'000, milliseconds(360'000)};
    if (refuse) a.refused = make_error(errc::rate_limited, "key 'team-a': 60 requests per minute");
    server::ResponseHeaders headers;
    server::add_rate_limit_headers(a.requests, a.tokens, headers);
    const std::string expected = std::string("x-ratelimit-limit-requests: 60\r\nx-ratelimit-remaining-requests: ") + (refuse ? "0" : "59") +
                                 "\r\nx-ratelimit-reset-requests: 1s\r\nx-ratelimit-limit-tokens: 100000\r\n"
                                 "x-ratelimit-remaining-tokens: 99000\r\nx-ratelimit-reset-tokens: 6m0s\r\n";
    BOOST_TEST(headers.lines() == expected);
  }
}

BOOST_AUTO_TEST_CASE(keys_without_limits_get_no_headers) {
  server::ResponseHeaders headers;
  server::add_rate_limit_headers(LimitStatus{}, LimitStatus{}, headers);
  BOOST_TEST(headers.lines().empty());
}

BOOST_AUTO_TEST_CASE(headers_added_by_a_stage_are_lines_and_refuse_injection) {
  server::ResponseHeaders headers;
  BOOST_TEST(headers.add("x-ratelimit-remaining-requests", "59"));
  BOOST_TEST(!headers.add("x-evil", "1\r\nSet-Cookie: a=b"));
  BOOST_TEST(!headers.add("x-bad\nname", "1"));
  BOOST_TEST(!headers.add("", "1"));
  BOOST_TEST(headers.lines() == "x-ratelimit-remaining-requests: 59\r\n");
}

BOOST_AUTO_TEST_SUITE_END()
