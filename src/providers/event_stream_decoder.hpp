#pragma once
// AWS EventStream framing (application/vnd.amazon.eventstream: Bedrock's
// ConverseStream and InvokeModelWithResponseStream bodies), decoded
// incrementally and sans-io: bytes are fed as they arrive, split anywhere;
// each complete message comes out with its string headers and payload, once
// both CRC-32s (prelude, whole message) are checked. A bad length, CRC or
// header is a corrupt stream (the caller drops the connection), never a
// crash or an unbounded buffer. Wire format: ../shared/reference/wire-formats-3.md section 3.
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <utility>
#include <string>
#include <string_view>

namespace switchyard::providers {

struct EventStreamMessage {
  std::string_view message_type;    // ":message-type": "event", "exception" or "error"
  std::string_view event;           // ":event-type" (events) or ":exception-type" (exceptions)
  std::string_view error_code;      // ":error-code" ("error" messages)
  std::string_view error_message;   // ":error-message"
  std::string_view content_type;    // ":content-type"
  std::string_view data;            // the payload
};

enum class EventStreamStatus { message, need_more, corrupt };

class EventStreamDecoder {
 public:
  // The SDKs' limits (aws-c-event-stream, botocore): a message at most 24 MiB, its headers at most 128 KiB.
  static constexpr std::size_t kMaxMessage = 24 * 1024 * 1024;
  static constexpr std::size_t kMaxHeaders = 128 * 1024;

  explicit EventStreamDecoder(std::size_t max_message = kMaxMessage) : max_message_(max_message) {}

  // Appends bytes (what the views of the last message pointed at may move).
  void feed(std::string_view bytes);
  // The next complete message (views valid until the next feed()), need_more,
  // or corrupt (`why()` says what; the decoder stays corrupt).
  EventStreamStatus next(EventStreamMessage& out);
  // Bytes of a message begun but not complete (0 at a clean end of stream).
  std::size_t pending() const noexcept { return buf_.size() - pos_; }
  const std::string& why() const noexcept { return why_; }

 private:
  EventStreamStatus fail(std::string why);

  std::size_t max_message_;
  std::string buf_;
  std::size_t pos_ = 0;
  std::string why_;
};

// CRC-32/IEEE (zlib's crc32), continued from `crc` (0 to start).
std::uint32_t eventstream_crc32(std::string_view bytes, std::uint32_t crc = 0) noexcept;

// Builds one message with string headers (the mock provider and tests encode with it).
std::string encode_event_stream_message(std::initializer_list<std::pair<std::string_view, std::string_view>> headers,
                                        std::string_view payload);

}  // namespace switchyard::providers
