#define BOOST_TEST_MODULE request_framing
// The pieces the HTTP front-end decides with before it reads a body: framing
// checks, what is taken from the head, and the bounded JSON parse.
#include <boost/test/unit_test.hpp>

#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "providers/upstream_error.hpp"
#include "server/memory_budget.hpp"
#include "server/request_head.hpp"
#include "server/request_json_parser.hpp"

using namespace switchyard;
using namespace switchyard::server;
namespace http = boost::beast::http;

namespace {
// Parses a request head (and, when complete, its body) from raw bytes.
struct Parsed {
  http::request_parser<http::string_body> parser;
  boost::system::error_code ec;
};

std::unique_ptr<Parsed> parse(std::string_view bytes) {
  auto p = std::make_unique<Parsed>();
  p->parser.eager(true);
  p->parser.put(boost::asio::buffer(bytes.data(), bytes.size()), p->ec);
  return p;
}
}  // namespace

BOOST_AUTO_TEST_CASE(only_exactly_chunked_is_accepted_as_a_transfer_encoding) {
  struct Case {
    std::string te;
    unsigned status;  // 0 = accepted
  };
  const Case cases[] = {{"chunked", 0}, {"Chunked", 0}, {" chunked ", 0}, {"xchunked", 501}, {"gzip", 501},
                        {"identity", 501}, {"chunked, identity", 400}, {"gzip, chunked", 400}, {"chunked,", 400}};
  for (const auto& c : cases) {
    auto p = parse("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: " + c.te + "\r\n\r\n");
    BOOST_TEST_CONTEXT(c.te) {
      BOOST_REQUIRE(p->parser.is_header_done());
      const auto rej = check_framing(p->parser.get().base());
      BOOST_TEST((rej ? rej->status : 0u) == c.status);
    }
  }
  auto twice = parse("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n");
  if (twice->parser.is_header_done()) BOOST_TEST(check_framing(twice->parser.get().base())->status == 400u);
  else BOOST_TEST(!!twice->ec);  // refused by the parser itself
  auto none = parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}");
  BOOST_TEST(!check_framing(none->parser.get().base()));
}

BOOST_AUTO_TEST_CASE(the_head_is_read_before_the_body_and_trailers_change_nothing) {
  auto p = parse("POST /v1/chat/completions?x=1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nx-api-key: sy-head\r\n"
                 "x-request-id: good-id\r\nExpect: 100-continue\r\n\r\n");
  BOOST_REQUIRE(p->parser.is_header_done());
  const auto head = read_request_head(p->parser.get().base(), p->parser.keep_alive(), p->parser.chunked(), 0);
  BOOST_TEST(head.path() == "/v1/chat/completions");
  BOOST_TEST(head.authorization == "sy-head");
  BOOST_TEST(head.request_id == "good-id");
  BOOST_TEST(head.expect_continue);
  BOOST_TEST(head.has_body);
  BOOST_TEST(head.keep_alive);
  // A trailer carrying Authorization is merged into the fields by the parser; the head taken before is what counts.
  p->parser.put(boost::asio::buffer(std::string_view("2\r\n{}\r\n0\r\nAuthorization: Bearer sy-trailer\r\n\r\n")), p->ec);
  BOOST_TEST(head.authorization == "sy-head");
  auto bad_id = parse("GET / HTTP/1.1\r\nHost: x\r\nx-request-id: has space\r\n\r\n");
  BOOST_TEST(read_request_head(bad_id->parser.get().base(), true, false, 0).request_id.empty());
}

BOOST_AUTO_TEST_CASE(the_json_parse_is_bounded_per_request_and_in_total) {
  MemoryBudget shared(64 * 1024 * 1024);
  RequestJsonParser json(&shared, 8);
  auto ok = json.parse(R"({"model":"fast","messages":[{"role":"user","content":"hi"}]})");
  BOOST_REQUIRE(ok);
  BOOST_TEST(ok->at("model").as_string() == "fast");
  BOOST_TEST(shared.used() > 0u);
  json.reset();
  BOOST_TEST(shared.used() == 0u);  // given back after each request

  std::string many = "[0";
  while (many.size() < 2 * 1024 * 1024) many += ",0";
  many += "]";
  auto big = json.parse(many);  // 1 M values of 16 bytes or more: over 8x the text
  BOOST_REQUIRE(!big);
  BOOST_TEST((big.error().code == errc::body_too_large));
  BOOST_TEST(shared.used() == 0u);

  MemoryBudget small(256 * 1024);
  RequestJsonParser a(&small, 1024), b(&small, 1024);
  std::string medium = "[0";
  while (medium.size() < 8 * 1024) medium += ",0";
  medium += "]";
  BOOST_REQUIRE(a.parse(medium));
  auto second = b.parse(medium);
  BOOST_REQUIRE(!second);
  BOOST_TEST((second.error().code == errc::overloaded));
  a.reset();
  BOOST_TEST(b.parse(medium).has_value());

  BOOST_TEST((json.parse("[1e400]").error().code == errc::invalid_json));
  BOOST_TEST((json.parse("{\"a\":-1E+999}").error().code == errc::invalid_json));
  BOOST_TEST((json.parse("[" + std::string(400, '9') + "]").error().code == errc::invalid_json));
  BOOST_TEST(json.parse(R"(["1e400 in a string is fine", 1e300])").has_value());
  BOOST_TEST((json.parse(std::string(200, '[')).error().code == errc::invalid_json));  // too deep
  BOOST_TEST((json.parse("{\"a\":").error().code == errc::invalid_json));
}

BOOST_AUTO_TEST_CASE(secrets_are_redacted_whole_cut_or_credential_shaped) {
  using providers::redact_secrets;
  const std::vector<std::string> secrets{"sk-live-0123456789abcdef"};
  BOOST_TEST(redact_secrets("key sk-live-0123456789abcdef here", secrets) == "key [redacted] here");
  BOOST_TEST(redact_secrets("cut sk-live-0123", secrets) == "cut [redacted]");
  BOOST_TEST(redact_secrets("Authorization: Bearer abc.def-ghi and more", {}) == "Authorization: Bearer [redacted] and more");
  BOOST_TEST(redact_secrets("GET /v1?key=AIzaSyXXXX&alt=sse", {}) == "GET /v1?key=[redacted]&alt=sse");
  BOOST_TEST(redact_secrets("x-api-key: sk-ant-123", {}) == "x-api-key: [redacted]");
  BOOST_TEST(redact_secrets("nothing secret here", secrets) == "nothing secret here");
  const auto e = providers::redacted(make_error(errc::upstream_status, "bad sk-live-0123456789abcdef"), secrets);
  BOOST_TEST(e.message == "bad [redacted]");
}
