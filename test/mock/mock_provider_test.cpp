#define BOOST_TEST_MODULE mock_provider
#include <boost/test/unit_test.hpp>

#include <boost/asio/detached.hpp>
#include <boost/json.hpp>

#include "mock/mock_provider.hpp"
#include "support/async.hpp"
#include "support/http_client.hpp"

using namespace switchyard;
using namespace switchyard::test;
using http::verb;

namespace {
struct MockFixture {
  asio::io_context ioc{1};
  mock::MockProvider mock{ioc.get_executor(), {}};
  std::uint16_t port = mock.listen();
  MockFixture() { asio::co_spawn(ioc, mock.run(), asio::detached); }
  ~MockFixture() {
    mock.stop();
    ioc.run_for(std::chrono::seconds(2));
  }
  HttpResult call(std::string body, Headers headers = {}) {
    return run_async<HttpResult>(ioc, http_call(port, verb::post, "/v1/chat/completions", std::move(body), headers));
  }
};
const std::string kBody = R"({"model":"m","messages":[{"role":"user","content":"one two three"}])";
}  // namespace

BOOST_AUTO_TEST_CASE(fault_names_parse) {
  mock::MockBehaviour b;
  BOOST_TEST(mock::parse_fault("stall-after:3", b));
  BOOST_TEST((b.fault == mock::Fault::stall_after));
  BOOST_TEST(b.fault_after == 3);
  BOOST_TEST(mock::parse_fault("reset", b));
  BOOST_TEST((b.fault == mock::Fault::reset));
  BOOST_TEST(!mock::parse_fault("explode", b));
  BOOST_TEST(!mock::parse_fault("stall-after:x", b));
}

BOOST_FIXTURE_TEST_CASE(answers_json_with_usage, MockFixture) {
  auto r = call(kBody + "}");
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  auto j = boost::json::parse(r.body).as_object();
  BOOST_TEST(j.at("model").as_string() == "m");
  BOOST_TEST(j.at("usage").at("prompt_tokens").as_int64() == 6);  // 3 words + 3 per message
  BOOST_TEST(j.at("usage").at("completion_tokens").as_int64() == 16);
}

BOOST_FIXTURE_TEST_CASE(streams_with_usage_only_when_asked, MockFixture) {
  auto without = call(kBody + R"(,"stream":true})");
  BOOST_TEST(without.body.find("\"usage\"") == std::string::npos);
  BOOST_TEST(without.body.find("data: [DONE]") != std::string::npos);
  auto with = call(kBody + R"(,"stream":true,"stream_options":{"include_usage":true}})");
  BOOST_TEST(with.body.find(R"("choices":[],"usage":{"prompt_tokens":6,"completion_tokens":16)") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(behaviour_is_chosen_per_request_by_header_or_body, MockFixture) {
  auto by_header = call(kBody + "}", {{"x-mock-status", "429"}, {"x-mock-retry-after", "2"}});
  BOOST_TEST(by_header.status == 429u);
  BOOST_TEST(by_header.headers[http::field::retry_after] == "2");
  auto by_body = call(kBody + R"(,"mock":{"status":503}})");
  BOOST_TEST(by_body.status == 503u);
  auto tokens = call(kBody + R"(,"mock":{"tokens":2}})");
  BOOST_TEST(boost::json::parse(tokens.body).at("usage").at("completion_tokens").as_int64() == 2);
  auto reset = call(kBody + "}", {{"x-mock-fault", "reset"}});
  BOOST_TEST(reset.status == 0u);
  BOOST_TEST(!!reset.error);
}
