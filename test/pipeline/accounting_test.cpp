#include <boost/test/unit_test.hpp>

#include <vector>

#include "observability/logger.hpp"
#include "pipeline/accounting.hpp"

using namespace switchyard;
using namespace std::chrono;

BOOST_AUTO_TEST_SUITE(accounting)

BOOST_AUTO_TEST_CASE(the_access_log_line_has_the_request_and_its_outcome_and_nothing_a_client_can_inject) {
  pipeline::RequestOutcome o;
  o.status = 200;
  o.model = "fast";
  o.provider = "oai";
  const std::string evil_path = "/v1/x\r\nrequest method=GET status=200";
  const auto line = pipeline::access_log_line({"POST", evil_path, "req-1"}, o, microseconds(1234));
  BOOST_TEST(line.find("method=POST") != std::string::npos);
  BOOST_TEST(line.find("status=200") != std::string::npos);
  BOOST_TEST(line.find("model=fast provider=oai") != std::string::npos);
  BOOST_TEST(line.find("duration_us=1234") != std::string::npos);
  BOOST_TEST(line.find("request_id=req-1") != std::string::npos);
  BOOST_TEST(line.find('\r') == std::string::npos);
  BOOST_TEST(line.find('\n') == std::string::npos);
  BOOST_TEST(pipeline::loggable(std::string(1000, 'a')).size() == 200u);
}

BOOST_AUTO_TEST_CASE(the_overhead_is_the_time_inside_the_gateway_never_negative) {
  std::vector<nanoseconds> recorded;
  pipeline::Accounting a(nullptr, true, [&](nanoseconds d) { recorded.push_back(d); });
  const auto read = steady_clock::now() - milliseconds(50);
  const auto us = std::stoll(a.overhead(read, milliseconds(40)));
  BOOST_TEST(us >= 10'000);  // 50 ms since the request was read, 40 of them upstream
  BOOST_TEST(us < 1'000'000);
  BOOST_TEST(std::stoll(a.overhead(steady_clock::now(), seconds(5))) == 0);  // upstream longer than the request: clamped
  BOOST_REQUIRE(recorded.size() == 2u);
  BOOST_TEST(recorded[1].count() == 0);
}

BOOST_AUTO_TEST_CASE(finished_and_rejected_requests_are_logged_only_when_the_access_log_is_on) {
  std::vector<std::string> lines;
  observability::Logger log(observability::LogLevel::info, [&](std::string_view l) { lines.emplace_back(l); });
  pipeline::RequestOutcome o;
  o.status = 499;
  pipeline::Accounting on(&log, true, {});
  on.finished({"POST", "/v1/chat/completions", "r1"}, o, milliseconds(1));
  on.rejected(503, "r2");
  pipeline::Accounting off(&log, false, {});
  off.finished({"POST", "/v1/chat/completions", "r3"}, o, milliseconds(1));
  BOOST_REQUIRE(lines.size() == 2u);
  BOOST_TEST(lines[0].find("status=499") != std::string::npos);
  BOOST_TEST(lines[1].find("request rejected status=503 request_id=r2") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
