#include <boost/test/unit_test.hpp>

#include <boost/json.hpp>

#include <vector>

#include "observability/logger.hpp"
#include "pipeline/accounting.hpp"

using namespace switchyard;
using namespace std::chrono;

BOOST_AUTO_TEST_SUITE(accounting)

BOOST_AUTO_TEST_CASE(the_access_log_line_has_the_request_and_its_outcome_and_nothing_a_client_can_inject) {
  std::vector<std::string> lines;
  observability::Logger log(observability::LogLevel::info, [&](std::string_view l) { lines.emplace_back(l); });
  pipeline::Accounting a(&log, true);
  pipeline::RequestOutcome o;
  o.status = 200;
  o.model = "fast";
  o.provider = "oai";
  o.target_model = "gpt-x";
  o.key = "team-a";
  o.input_tokens = 12;
  o.output_tokens = 30;
  o.cost_usd = 0.25;
  o.overhead_us = 41;
  const std::string evil_path = "/v1/x\r\nrequest method=GET status=200";
  a.finished({"POST", evil_path, "req-1"}, o, microseconds(1234));
  BOOST_REQUIRE(lines.size() == 1u);
  const auto& line = lines[0];
  BOOST_TEST(line.find(" info request method=POST path=") != std::string::npos);
  BOOST_TEST(line.find(" status=200 key=team-a route=fast target=oai/gpt-x tokens_in=12 tokens_out=30 cost_usd=0.25 cache=none "
                       "overhead_us=41 duration_us=1234 request_id=req-1\n") != std::string::npos, line);
  // The path's CR LF cannot start a line of its own; it is one quoted value.
  BOOST_TEST(line.find('\r') == std::string::npos);
  BOOST_TEST(line.find('\n') == line.size() - 1);
  BOOST_TEST(line.find(R"(path="/v1/x??request method=GET status=200")") != std::string::npos, line);
  BOOST_TEST(pipeline::loggable(std::string(1000, 'a')).size() == 200u);
}

BOOST_AUTO_TEST_CASE(the_access_log_in_json_is_one_object_a_line_with_unknowns_as_null) {
  std::vector<std::string> lines;
  observability::Logger log(observability::LogLevel::info, [&](std::string_view l) { lines.emplace_back(l); });
  log.set_format(observability::LogFormat::json);
  pipeline::Accounting a(&log, true);
  pipeline::RequestOutcome o;
  o.status = 401;
  a.finished({"GET", "/v1/\"quoted\"\x01", "req-2"}, o, microseconds(7));
  BOOST_REQUIRE(lines.size() == 1u);
  BOOST_TEST(lines[0].back() == '\n');
  const auto v = boost::json::parse(lines[0]).as_object();
  BOOST_TEST(v.at("msg").as_string() == "request");
  BOOST_TEST(v.at("level").as_string() == "info");
  BOOST_TEST(v.at("path").as_string() == "/v1/\"quoted\"?");
  BOOST_TEST(v.at("status").as_int64() == 401);
  BOOST_TEST(v.at("key").is_null());
  BOOST_TEST(v.at("tokens_in").is_null());
  BOOST_TEST(v.at("cost_usd").is_null());
  BOOST_TEST(v.at("cache").as_string() == "none");
  BOOST_TEST(v.at("duration_us").as_int64() == 7);
  BOOST_TEST(v.at("request_id").as_string() == "req-2");
  BOOST_TEST(v.contains("ts"));
}

BOOST_AUTO_TEST_CASE(finished_and_rejected_requests_are_logged_only_when_the_access_log_is_on) {
  std::vector<std::string> lines;
  observability::Logger log(observability::LogLevel::info, [&](std::string_view l) { lines.emplace_back(l); });
  pipeline::RequestOutcome o;
  o.status = 499;
  pipeline::Accounting on(&log, true);
  on.finished({"POST", "/v1/chat/completions", "r1"}, o, milliseconds(1));
  on.rejected(503, "r2");
  pipeline::Accounting off(&log, false);
  off.finished({"POST", "/v1/chat/completions", "r3"}, o, milliseconds(1));
  BOOST_REQUIRE(lines.size() == 2u);
  BOOST_TEST(lines[0].find("status=499") != std::string::npos);
  BOOST_TEST(lines[1].find("request rejected status=503 request_id=r2") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
