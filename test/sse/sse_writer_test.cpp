#define BOOST_TEST_MODULE sse_writer
#include <boost/test/unit_test.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/buffers_to_string.hpp>

#include "sse/sse_parser.hpp"
#include "sse/sse_writer.hpp"

using namespace switchyard::sse;

namespace {
std::string flatten(const std::array<boost::asio::const_buffer, 3>& b) { return boost::beast::buffers_to_string(b); }
}  // namespace

BOOST_AUTO_TEST_CASE(frames_a_json_chunk_without_copying_it) {
  SseWriter w;
  const std::string data = R"({"id":"x"})";
  const auto& bufs = w.frame(data);
  BOOST_TEST(flatten(bufs) == "data: {\"id\":\"x\"}\n\n");
  BOOST_TEST(bufs[1].data() == static_cast<const void*>(data.data()));  // the payload is referenced, not copied
}

BOOST_AUTO_TEST_CASE(multi_line_payloads_become_several_data_lines_and_round_trip) {
  SseWriter w;
  const std::string out = flatten(w.frame("a\nb"));
  BOOST_TEST(out == "data: a\ndata: b\n\n");
  SseParser p;
  p.feed(out);
  SseEvent ev;
  BOOST_REQUIRE((p.next(ev) == SseStatus::event));
  BOOST_TEST(ev.data == "a\nb");
}

BOOST_AUTO_TEST_CASE(named_events_carry_the_event_line) {
  SseWriter w;
  BOOST_TEST(flatten(w.frame("error", "{}")) == "event: error\ndata: {}\n\n");
  BOOST_TEST(SseWriter::done_frame == "data: [DONE]\n\n");
}
