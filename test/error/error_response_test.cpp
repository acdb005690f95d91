#include <boost/test/unit_test.hpp>

#include <boost/json.hpp>

#include "error/error_response.hpp"

using namespace switchyard;
using switchyard::error::to_http_error;

namespace {
boost::json::object error_of(const std::string& body) { return boost::json::parse(body).as_object().at("error").as_object(); }

Error upstream(int status, std::string upstream_error = {}) {
  Error e = make_error(errc::upstream_status, "returned HTTP " + std::to_string(status), "oai");
  e.upstream_status = status;
  e.upstream_error = std::move(upstream_error);
  return e;
}
}  // namespace

BOOST_AUTO_TEST_CASE(each_error_maps_to_its_status_in_openai_shape) {
  const std::pair<errc, int> table[] = {
      {errc::invalid_request, 400}, {errc::invalid_json, 400},       {errc::body_too_large, 413},
      {errc::missing_key, 401},     {errc::invalid_key, 401},        {errc::model_not_allowed, 403},
      {errc::unknown_model, 404},   {errc::not_found, 404},          {errc::method_not_allowed, 405},
      {errc::upstream_connect, 502}, {errc::upstream_tls, 502},      {errc::upstream_reset, 502},
      {errc::upstream_bad_response, 502}, {errc::upstream_timeout, 504}, {errc::pool_exhausted, 503},
      {errc::no_target, 503},       {errc::internal, 500},
  };
  for (auto [code, status] : table) {
    auto mapped = to_http_error(make_error(code, "what happened"));
    BOOST_TEST_CONTEXT(to_string(code)) {
      BOOST_TEST(mapped.status == status);
      auto err = error_of(mapped.body);
      BOOST_TEST(err.at("message").as_string() == "what happened");
      BOOST_TEST(err.at("type").is_string());
      BOOST_TEST(err.at("code").is_string());
      BOOST_TEST(err.contains("param"));
    }
  }
}

BOOST_AUTO_TEST_CASE(the_message_names_the_provider) {
  auto mapped = to_http_error(make_error(errc::upstream_timeout, "timed out", "anthropic"));
  BOOST_TEST(std::string(error_of(mapped.body).at("message").as_string()) == "provider 'anthropic': timed out");
}

BOOST_AUTO_TEST_CASE(upstream_statuses_map_by_class) {
  BOOST_TEST(to_http_error(upstream(500)).status == 502);
  BOOST_TEST(to_http_error(upstream(502)).status == 502);
  BOOST_TEST(to_http_error(upstream(503)).status == 503);
  BOOST_TEST(to_http_error(upstream(529)).status == 503);
  BOOST_TEST(to_http_error(upstream(400)).status == 400);
  BOOST_TEST(to_http_error(upstream(404)).status == 404);
  BOOST_TEST(to_http_error(upstream(413)).status == 413);
  BOOST_TEST(to_http_error(upstream(429)).status == 429);
  // the provider refusing the gateway's credentials is not the client's 401
  BOOST_TEST(to_http_error(upstream(401)).status == 502);
  BOOST_TEST(to_http_error(upstream(403)).status == 502);
}

BOOST_AUTO_TEST_CASE(an_upstream_4xx_keeps_its_own_type_code_and_param) {
  auto e = upstream(400, R"({"message":"bad temperature","type":"invalid_request_error","param":"temperature","code":"invalid_value"})");
  e.message = "returned HTTP 400: bad temperature";
  auto mapped = to_http_error(e);
  auto err = error_of(mapped.body);
  BOOST_TEST(mapped.status == 400);
  BOOST_TEST(err.at("type").as_string() == "invalid_request_error");
  BOOST_TEST(err.at("param").as_string() == "temperature");
  BOOST_TEST(err.at("code").as_string() == "invalid_value");
  BOOST_TEST(std::string(err.at("message").as_string()).find("bad temperature") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(retry_after_is_passed_back) {
  auto e = upstream(429);
  e.retry_after = "7";
  BOOST_TEST(to_http_error(e).retry_after == "7");
}
