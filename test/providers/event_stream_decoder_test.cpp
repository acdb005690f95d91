// AWS EventStream framing: the smithy test vectors and the worked Bedrock
// frames of wire-formats-3.md (section 3), every split point, several frames
// in one read, corrupted CRCs and lengths, and limits.
#include <boost/test/unit_test.hpp>

#include "providers/event_stream_decoder.hpp"

#include <string>
#include <vector>

using namespace switchyard::providers;

namespace {

std::string unhex(std::string_view hex) {
  std::string out;
  int hi = -1;
  for (char c : hex) {
    int v;
    if (c >= '0' && c <= '9') v = c - '0';
    else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    else continue;
    if (hi < 0) hi = v;
    else {
      out += static_cast<char>(hi * 16 + v);
      hi = -1;
    }
  }
  return out;
}

// The worked ConverseStream contentBlockDelta frame (section 3.6).
const std::string kDeltaFrame = unhex(
    "00 00 00 94 00 00 00 57 b4 ab 9a ee 0b 3a 65 76 65 6e 74 2d 74 79 70 65 07 00 11 63 6f 6e 74 65"
    "6e 74 42 6c 6f 63 6b 44 65 6c 74 61 0d 3a 63 6f 6e 74 65 6e 74 2d 74 79 70 65 07 00 10 61 70 70"
    "6c 69 63 61 74 69 6f 6e 2f 6a 73 6f 6e 0d 3a 6d 65 73 73 61 67 65 2d 74 79 70 65 07 00 05 65 76"
    "65 6e 74 7b 22 63 6f 6e 74 65 6e 74 42 6c 6f 63 6b 49 6e 64 65 78 22 3a 30 2c 22 64 65 6c 74 61"
    "22 3a 7b 22 74 65 78 74 22 3a 22 48 69 22 7d 7d 1f 94 46 57");

struct Decoded {
  std::string message_type, event, data;
};

std::vector<Decoded> drain(EventStreamDecoder& d) {
  std::vector<Decoded> out;
  EventStreamMessage m;
  while (d.next(m) == EventStreamStatus::message) out.push_back({std::string(m.message_type), std::string(m.event), std::string(m.data)});
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(event_stream_decoder)

BOOST_AUTO_TEST_CASE(crc32_is_zlibs_ieee_crc) {
  BOOST_TEST(eventstream_crc32("123456789") == 0xCBF43926u);
  BOOST_TEST(eventstream_crc32("56789", eventstream_crc32("1234")) == 0xCBF43926u);
}

BOOST_AUTO_TEST_CASE(smithy_vectors) {
  {
    EventStreamDecoder d;
    d.feed(unhex("00000010 00000000 05c248eb 7d98c8ff"));
    EventStreamMessage m;
    BOOST_TEST((d.next(m) == EventStreamStatus::message));
    BOOST_TEST(m.data.empty());
    BOOST_TEST(d.pending() == 0u);
  }
  {
    EventStreamDecoder d;
    d.feed(unhex("0000001d 00000000 fd528c5a") + "{'foo':'bar'}" + unhex("c3653936"));
    EventStreamMessage m;
    BOOST_TEST((d.next(m) == EventStreamStatus::message));
    BOOST_TEST(m.data == "{'foo':'bar'}");
  }
  {  // an int32 header (skipped: Bedrock's headers are strings)
    EventStreamDecoder d;
    d.feed(unhex("0000002d 00000010 41c424b8 0a") + "event-type" + unhex("04 0000a00c") + "{'foo':'bar'}" + unhex("36f480a0"));
    EventStreamMessage m;
    BOOST_TEST((d.next(m) == EventStreamStatus::message));
    BOOST_TEST(m.data == "{'foo':'bar'}");
  }
  {  // payload_one_str_header
    EventStreamDecoder d;
    d.feed(unhex("00 00 00 3d 00 00 00 20 07 fd 83 96 0c") + "content-type" + unhex("07 00 10") + "application/json" + "{'foo':'bar'}" +
           unhex("8d 9c 08 b1"));
    EventStreamMessage m;
    BOOST_TEST((d.next(m) == EventStreamStatus::message));
    BOOST_TEST(m.data == "{'foo':'bar'}");
  }
}

BOOST_AUTO_TEST_CASE(the_worked_bedrock_frame_and_the_encoder_agree) {
  const std::string encoded = encode_event_stream_message(
      {{":event-type", "contentBlockDelta"}, {":content-type", "application/json"}, {":message-type", "event"}},
      R"({"contentBlockIndex":0,"delta":{"text":"Hi"}})");
  BOOST_TEST(encoded == kDeltaFrame);
  EventStreamDecoder d;
  d.feed(kDeltaFrame);
  EventStreamMessage m;
  BOOST_REQUIRE((d.next(m) == EventStreamStatus::message));
  BOOST_TEST(m.message_type == "event");
  BOOST_TEST(m.event == "contentBlockDelta");
  BOOST_TEST(m.content_type == "application/json");
  BOOST_TEST(m.data == R"({"contentBlockIndex":0,"delta":{"text":"Hi"}})");
  BOOST_TEST((d.next(m) == EventStreamStatus::need_more));
}

BOOST_AUTO_TEST_CASE(the_worked_exception_frame) {
  const std::string frame = encode_event_stream_message(
      {{":exception-type", "throttlingException"}, {":content-type", "application/json"}, {":message-type", "exception"}},
      R"({"message":"Too many requests, please wait before trying again."})");
  BOOST_TEST(frame.size() == 178u);
  BOOST_TEST(frame.substr(0, 12) == unhex("00 00 00 b2 00 00 00 61 35 90 d5 d3"));
  BOOST_TEST(frame.substr(frame.size() - 4) == unhex("e8 ff b2 6a"));
  EventStreamDecoder d;
  d.feed(frame);
  EventStreamMessage m;
  BOOST_REQUIRE((d.next(m) == EventStreamStatus::message));
  BOOST_TEST(m.message_type == "exception");
  BOOST_TEST(m.event == "throttlingException");
}

BOOST_AUTO_TEST_CASE(every_split_point_of_three_frames) {
  const std::string second = encode_event_stream_message({{":message-type", "event"}, {":event-type", "messageStop"}},
                                                         R"({"stopReason":"end_turn"})");
  const std::string stream = kDeltaFrame + second + kDeltaFrame;
  for (std::size_t a = 0; a <= stream.size(); ++a) {
    for (std::size_t b = a; b <= stream.size(); b += 7) {
      EventStreamDecoder d;
      std::vector<Decoded> got;
      for (auto piece : {std::string_view(stream).substr(0, a), std::string_view(stream).substr(a, b - a), std::string_view(stream).substr(b)}) {
        d.feed(piece);
        for (auto& x : drain(d)) got.push_back(std::move(x));
      }
      BOOST_REQUIRE_EQUAL(got.size(), 3u);
      BOOST_TEST(got[0].event == "contentBlockDelta");
      BOOST_TEST(got[1].event == "messageStop");
      BOOST_TEST(got[1].data == R"({"stopReason":"end_turn"})");
      BOOST_TEST(got[2].data == R"({"contentBlockIndex":0,"delta":{"text":"Hi"}})");
      BOOST_TEST(d.pending() == 0u);
    }
  }
}

BOOST_AUTO_TEST_CASE(byte_by_byte_leaves_a_partial_frame_pending) {
  EventStreamDecoder d;
  EventStreamMessage m;
  for (std::size_t i = 0; i + 1 < kDeltaFrame.size(); ++i) {
    d.feed(std::string_view(kDeltaFrame).substr(i, 1));
    BOOST_TEST((d.next(m) == EventStreamStatus::need_more));
  }
  BOOST_TEST(d.pending() == kDeltaFrame.size() - 1);  // a stream ending here is cut
  d.feed(std::string_view(kDeltaFrame).substr(kDeltaFrame.size() - 1));
  BOOST_TEST((d.next(m) == EventStreamStatus::message));
}

BOOST_AUTO_TEST_CASE(every_corrupted_byte_is_caught_or_harmless) {
  // Flip each byte: a prelude or message CRC mismatch (or a bad length) is corrupt, never a crash.
  for (std::size_t i = 0; i < kDeltaFrame.size(); ++i) {
    std::string bad = kDeltaFrame;
    bad[i] = static_cast<char>(bad[i] ^ 0x5a);
    EventStreamDecoder d;
    d.feed(bad);
    EventStreamMessage m;
    const auto s = d.next(m);
    if (i < 4) BOOST_TEST((s != EventStreamStatus::message));  // a changed length: corrupt, or waiting for bytes that never come
    else BOOST_TEST((s == EventStreamStatus::corrupt), "byte " << i);
  }
}

BOOST_AUTO_TEST_CASE(corrupt_stays_corrupt_and_says_why) {
  std::string bad = kDeltaFrame;
  bad[bad.size() - 1] ^= 1;
  EventStreamDecoder d;
  d.feed(bad);
  EventStreamMessage m;
  BOOST_TEST((d.next(m) == EventStreamStatus::corrupt));
  BOOST_TEST(d.why() == "a message CRC mismatch");
  d.feed(kDeltaFrame);
  BOOST_TEST((d.next(m) == EventStreamStatus::corrupt));
}

BOOST_AUTO_TEST_CASE(lengths_are_bounded_before_bytes_are_buffered) {
  EventStreamDecoder d(1024);
  std::string big = encode_event_stream_message({{":message-type", "event"}}, std::string(2000, 'x'));
  d.feed(big.substr(0, 12));
  EventStreamMessage m;
  BOOST_TEST((d.next(m) == EventStreamStatus::corrupt));  // refused from the prelude: 2 KB never buffered
  // headers longer than the message
  std::string prelude = unhex("00000020 00000030");
  prelude += std::string(4, '\0');
  const auto crc = eventstream_crc32(prelude.substr(0, 8));
  prelude[8] = static_cast<char>(crc >> 24);
  prelude[9] = static_cast<char>(crc >> 16);
  prelude[10] = static_cast<char>(crc >> 8);
  prelude[11] = static_cast<char>(crc);
  EventStreamDecoder d2;
  d2.feed(prelude);
  BOOST_TEST((d2.next(m) == EventStreamStatus::corrupt));
  BOOST_TEST(d2.why() == "headers longer than the message");
}

BOOST_AUTO_TEST_SUITE_END()
