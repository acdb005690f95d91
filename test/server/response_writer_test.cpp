#include <boost/test/unit_test.hpp>

#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "server/response_headers.hpp"
#include "server/response_writer.hpp"
#include "sse/sse_parser.hpp"

using namespace switchyard;
using server::ResponseWriter;
namespace http = boost::beast::http;

namespace {
template <class Buffers>
std::string flat(const Buffers& b) {
  return boost::beast::buffers_to_string(b);
}

// Parses bytes as an HTTP response with Beast's own parser: proves the framing is valid.
http::response<http::string_body> parse(const std::string& bytes) {
  http::response_parser<http::string_body> p;
  p.eager(true);
  boost::system::error_code ec;
  p.put(boost::asio::buffer(bytes), ec);
  BOOST_REQUIRE_MESSAGE(!ec, ec.message());
  BOOST_REQUIRE(p.is_done());
  return p.release();
}
}  // namespace

BOOST_AUTO_TEST_CASE(json_responses_are_valid_http_with_the_body_referenced_not_copied) {
  ResponseWriter w;
  const std::string body = R"({"ok":true})";
  const auto& bufs = w.json(200, body, ResponseWriter::Meta{"req-1", "12", {}, true, false});
  BOOST_TEST(bufs[1].data() == static_cast<const void*>(body.data()));
  auto res = parse(flat(bufs));
  BOOST_TEST(res.result_int() == 200u);
  BOOST_TEST(res[http::field::content_type] == "application/json");
  BOOST_TEST(res["x-request-id"] == "req-1");
  BOOST_TEST(res["x-switchyard-overhead-us"] == "12");
  BOOST_TEST(res.body() == body);
  BOOST_TEST(res.keep_alive());
}

BOOST_AUTO_TEST_CASE(error_responses_carry_retry_after_and_close) {
  ResponseWriter w;
  auto res = parse(flat(w.json(429, "{}", ResponseWriter::Meta{"r", {}, "7", false, false})));
  BOOST_TEST(res.result_int() == 429u);
  BOOST_TEST(res[http::field::retry_after] == "7");
  BOOST_TEST(!res.keep_alive());
  BOOST_TEST((res.find("x-switchyard-overhead-us") == res.end()));
}

BOOST_AUTO_TEST_CASE(http10_keep_alive_is_explicit) {
  ResponseWriter w;
  const auto bytes = flat(w.json(200, "{}", ResponseWriter::Meta{"r", {}, {}, true, true}));
  BOOST_TEST(bytes.find("Connection: keep-alive\r\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_chunked_event_stream_round_trips_through_http_and_sse_parsers) {
  ResponseWriter w;
  std::string bytes = flat(std::array{w.stream_head(ResponseWriter::Meta{"r", "3", {}, true, false})});
  ResponseWriter::append_sse(bytes, R"({"id":"c1"})");
  ResponseWriter::append_sse(bytes, "line one\nline two\r\nline three");
  ResponseWriter::append_sse(bytes, "[DONE]");
  bytes += flat(std::array{ResponseWriter::last_chunk()});
  auto res = parse(bytes);
  BOOST_TEST(res[http::field::content_type] == "text/event-stream");
  BOOST_TEST(res.chunked());

  sse::SseParser sse;
  sse.feed(res.body());
  std::vector<std::string> events;
  sse::SseEvent ev;
  while (sse.next(ev) == sse::SseStatus::event) events.emplace_back(ev.data);
  BOOST_REQUIRE(events.size() == 3u);
  BOOST_TEST(events[0] == R"({"id":"c1"})");
  BOOST_TEST(events[1] == "line one\nline two\nline three");
  BOOST_TEST(events[2] == "[DONE]");
}

// What pipeline stages add (ResponseHeaders: rate limits, cache status) is on
// every kind of answer: a complete one, an error, the head of a stream.
BOOST_AUTO_TEST_CASE(headers_added_by_stages_are_on_every_answer) {
  server::ResponseHeaders added;
  BOOST_REQUIRE(added.add("x-ratelimit-remaining-requests", "59"));
  BOOST_REQUIRE(added.add("x-switchyard-cache", "miss"));
  ResponseWriter w;
  ResponseWriter::Meta m{"req-1", {}, {}, true, false};
  m.extra = added.lines();
  for (unsigned status : {200u, 429u}) {
    auto res = parse(flat(w.json(status, "{}", m)));
    BOOST_TEST(res["x-ratelimit-remaining-requests"] == "59");
    BOOST_TEST(res["x-switchyard-cache"] == "miss");
  }
  const std::string head = flat(std::array{w.stream_head(m)});
  BOOST_TEST(head.find("x-ratelimit-remaining-requests: 59\r\n") != std::string::npos);
  BOOST_TEST(head.find("Transfer-Encoding: chunked\r\n\r\n") != std::string::npos);
}
