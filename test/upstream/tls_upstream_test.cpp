#define BOOST_TEST_MODULE tls_upstream
// The gateway talks HTTPS to a provider whose certificate is signed by a test
// CA generated here, at test time, with the openssl command-line tool.
#include <boost/test/unit_test.hpp>

#include <boost/json.hpp>

#include <cstdlib>
#include <filesystem>

#include "support/gateway_harness.hpp"
#include "support/test_pki.hpp"

using namespace switchyard;
using namespace switchyard::test;
using http::verb;

namespace {

mock::MockOptions tls_mock(const TestPki& pki) {
  mock::MockOptions mo;
  mo.tls_cert_file = pki.file("server.pem");
  mo.tls_key_file = pki.file("server.key");
  return mo;
}

std::string code_of(const HttpResult& r) {
  return std::string(boost::json::parse(r.body).at("error").at("code").as_string());
}

}  // namespace

BOOST_AUTO_TEST_CASE(https_upstream_verified_against_the_test_ca) {
  TestPki pki;
  GatewayHarness h(tls_mock(pki), [&](Config& c) {
    auto& p = c.providers[0];
    p.base_url = "https://localhost:" + p.base_url.substr(p.base_url.rfind(':') + 1);
    p.tls_ca_file = pki.file("ca.pem");
  });
  // One client connection (one worker, one pool), two requests.
  h.run([&]() -> asio::awaitable<void> {
    TestClient c(co_await asio::this_coro::executor);
    BOOST_REQUIRE(!co_await c.connect(h.port()));
    auto r = co_await c.call(verb::post, "/v1/chat/completions", chat_body(), auth_headers());
    BOOST_TEST(r.status == 200u);
    auto s = co_await c.call(verb::post, "/v1/chat/completions", chat_body("fast", true), auth_headers());
    BOOST_TEST(s.status == 200u);
    BOOST_TEST(s.body.find("data: [DONE]") != std::string::npos);
  }());
  BOOST_TEST(h.mock().stats().connections_accepted == 1u);  // the TLS connection was reused
}

BOOST_AUTO_TEST_CASE(an_untrusted_certificate_is_refused) {
  TestPki pki;
  GatewayHarness h(tls_mock(pki), [&](Config& c) {
    auto& p = c.providers[0];
    p.base_url = "https://localhost:" + p.base_url.substr(p.base_url.rfind(':') + 1);  // system CAs only
  });
  auto r = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body(), auth_headers()));
  BOOST_TEST(r.status == 502u);
  BOOST_TEST(code_of(r) == "upstream_tls_failed");
  BOOST_TEST(h.mock().stats().requests == 0u);
}

BOOST_AUTO_TEST_CASE(a_certificate_for_another_name_is_refused) {
  TestPki pki;
  GatewayHarness h(tls_mock(pki), [&](Config& c) {
    auto& p = c.providers[0];
    p.base_url = "https://127.0.0.1:" + p.base_url.substr(p.base_url.rfind(':') + 1);  // cert says localhost
    p.tls_ca_file = pki.file("ca.pem");
  });
  auto r = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body(), auth_headers()));
  BOOST_TEST(r.status == 502u);
  BOOST_TEST(code_of(r) == "upstream_tls_failed");
}
