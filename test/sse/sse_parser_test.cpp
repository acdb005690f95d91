#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "sse/sse_parser.hpp"

using switchyard::sse::SseEvent;
using switchyard::sse::SseParser;
using switchyard::sse::SseStatus;

namespace {

struct Seen {
  std::string event, data, id;
  bool operator==(const Seen&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Seen& s) {
  return os << "{event=" << s.event << " data=" << s.data << " id=" << s.id << "}";
}

// Feeds `pieces` one by one and collects every event. Borrowed: each piece
// lent from one reused buffer, scribbled over once the parser asked for more.
std::vector<Seen> parse(const std::vector<std::string_view>& pieces, std::size_t limit = 1 << 20, bool borrowed = false) {
  SseParser p(limit);
  std::vector<Seen> out;
  std::string lent;
  for (auto piece : pieces) {
    if (borrowed) {
      std::fill(lent.begin(), lent.end(), '#');
      lent.assign(piece);
      p.feed_borrowed(lent);
    } else {
      p.feed(piece);
    }
    SseEvent ev;
    SseStatus st;
    while ((st = p.next(ev)) == SseStatus::event) out.push_back({std::string(ev.event), std::string(ev.data), std::string(ev.id)});
    BOOST_REQUIRE(st == SseStatus::need_more);
  }
  return out;
}

const std::string kStream =
    ": OPENROUTER PROCESSING\r\n\r\n"
    "data: {\"a\":1}\r\n\r\n"
    "event: message_start\n"
    "data: {\"type\":\"message_start\"}\n\n"
    "data: line one\n"
    "data: line two\n"
    "id: 7\n\n"
    "data:no-space\n\n"
    "retry: 100\n"
    "data: [DONE]\n\n";

const std::vector<Seen> kExpected = {
    {"", "{\"a\":1}", ""},
    {"message_start", "{\"type\":\"message_start\"}", ""},
    {"", "line one\nline two", "7"},
    {"", "no-space", ""},
    {"", "[DONE]", ""},
};

}  // namespace

BOOST_AUTO_TEST_CASE(parses_a_whole_stream_in_one_piece) {
  BOOST_TEST(parse({kStream}) == kExpected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(every_single_split_point_gives_the_same_events) {
  for (std::size_t i = 0; i <= kStream.size(); ++i) {
    const std::string_view s(kStream);
    auto got = parse({s.substr(0, i), s.substr(i)});
    BOOST_TEST_CONTEXT("split at " << i) { BOOST_TEST(got == kExpected, boost::test_tools::per_element()); }
  }
}

BOOST_AUTO_TEST_CASE(every_pair_of_split_points_gives_the_same_events) {
  const std::string_view s(kStream);
  for (std::size_t i = 0; i <= s.size(); i += 3) {
    for (std::size_t j = i; j <= s.size(); ++j) {
      auto got = parse({s.substr(0, i), s.substr(i, j - i), s.substr(j)});
      BOOST_TEST_CONTEXT("split at " << i << "," << j) { BOOST_TEST(got == kExpected, boost::test_tools::per_element()); }
    }
  }
}

BOOST_AUTO_TEST_CASE(borrowed_pieces_split_anywhere_give_the_same_events_and_are_not_read_after_need_more) {
  const std::string_view s(kStream);
  BOOST_TEST(parse({s}, 1 << 20, true) == kExpected, boost::test_tools::per_element());
  for (std::size_t i = 0; i <= s.size(); i += 2) {
    for (std::size_t j = i; j <= s.size(); j += 3) {
      auto got = parse({s.substr(0, i), s.substr(i, j - i), s.substr(j)}, 1 << 20, true);
      BOOST_TEST_CONTEXT("borrowed, split at " << i << "," << j) { BOOST_TEST(got == kExpected, boost::test_tools::per_element()); }
    }
  }
}

BOOST_AUTO_TEST_CASE(copied_and_borrowed_pieces_mix) {
  // feed() after feed_borrowed() with an event pending: the pending bytes are kept.
  SseParser p;
  std::string lent = "data: {\"a\"";
  p.feed_borrowed(lent);
  SseEvent ev;
  BOOST_TEST((p.next(ev) == SseStatus::need_more));
  lent.assign(lent.size(), '#');
  p.feed(":1}\n\ndata: b\n\n");
  BOOST_REQUIRE((p.next(ev) == SseStatus::event));
  BOOST_TEST(ev.data == "{\"a\":1}");
  BOOST_REQUIRE((p.next(ev) == SseStatus::event));
  BOOST_TEST(ev.data == "b");
}

BOOST_AUTO_TEST_CASE(byte_by_byte_gives_the_same_events) {
  std::vector<std::string_view> bytes;
  for (std::size_t i = 0; i < kStream.size(); ++i) bytes.push_back(std::string_view(kStream).substr(i, 1));
  BOOST_TEST(parse(bytes) == kExpected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(an_event_without_its_blank_line_is_not_emitted) {
  BOOST_TEST(parse({"data: partial\n"}).empty());
}

BOOST_AUTO_TEST_CASE(comment_only_and_empty_events_are_skipped) {
  BOOST_TEST(parse({":ping\n\n\n\nevent: x\n\n"}).empty());
}

BOOST_AUTO_TEST_CASE(an_event_over_the_limit_is_an_error_not_unbounded_buffering) {
  SseParser p(64);
  p.feed("data: " + std::string(100, 'x'));
  SseEvent ev;
  BOOST_TEST((p.next(ev) == SseStatus::too_large));

  SseParser q(64);
  q.feed("data: " + std::string(30, 'x') + "\ndata: " + std::string(40, 'y') + "\n");
  BOOST_TEST((q.next(ev) == SseStatus::too_large));
}

BOOST_AUTO_TEST_CASE(consumed_events_do_not_accumulate) {
  SseParser p(1024);
  SseEvent ev;
  for (int i = 0; i < 10000; ++i) {
    p.feed("data: {\"n\":" + std::to_string(i) + "}\n\n");
    BOOST_REQUIRE((p.next(ev) == SseStatus::event));
    BOOST_REQUIRE_EQUAL(ev.data, "{\"n\":" + std::to_string(i) + "}");
    BOOST_REQUIRE((p.next(ev) == SseStatus::need_more));
  }
  BOOST_TEST(p.pending_bytes() == 0u);
}
