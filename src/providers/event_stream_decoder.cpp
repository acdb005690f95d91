#include "providers/event_stream_decoder.hpp"

#include <zlib.h>

#include <algorithm>
#include <utility>

namespace switchyard::providers {

namespace {

std::uint32_t be32(const char* p) noexcept {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (std::uint32_t(u[0]) << 24) | (std::uint32_t(u[1]) << 16) | (std::uint32_t(u[2]) << 8) | std::uint32_t(u[3]);
}

std::uint16_t be16(const char* p) noexcept {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return static_cast<std::uint16_t>((u[0] << 8) | u[1]);
}

void put32(std::string& s, std::uint32_t v) {
  s += static_cast<char>((v >> 24) & 0xff);
  s += static_cast<char>((v >> 16) & 0xff);
  s += static_cast<char>((v >> 8) & 0xff);
  s += static_cast<char>(v & 0xff);
}

// The value size of a header type with a fixed size; -1: variable (uint16 length first); -2: unknown type.
int fixed_size(unsigned char type) noexcept {
  switch (type) {
    case 0:
    case 1: return 0;   // bool true / false
    case 2: return 1;   // byte
    case 3: return 2;   // short
    case 4: return 4;   // integer
    case 5: return 8;   // long
    case 8: return 8;   // timestamp
    case 9: return 16;  // uuid
    case 6:
    case 7: return -1;  // byte array, string
    default: return -2;
  }
}

}  // namespace

std::uint32_t eventstream_crc32(std::string_view bytes, std::uint32_t crc) noexcept {
  // zlib's crc32 takes a uInt length: fed in pieces below 4 GiB (messages are at most 24 MiB anyway).
  uLong c = crc;
  while (!bytes.empty()) {
    const auto n = static_cast<uInt>(std::min<std::size_t>(bytes.size(), 1u << 30));
    c = ::crc32(c, reinterpret_cast<const Bytef*>(bytes.data()), n);
    bytes.remove_prefix(n);
  }
  return static_cast<std::uint32_t>(c);
}

void EventStreamDecoder::feed(std::string_view bytes) {
  if (!why_.empty()) return;
  if (pos_ > 0 && pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  } else if (pos_ > 4096 && pos_ * 2 > buf_.size()) {  // compact: what was consumed goes
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  buf_.append(bytes);
}

EventStreamStatus EventStreamDecoder::fail(std::string why) {
  why_ = std::move(why);
  buf_.clear();
  pos_ = 0;
  return EventStreamStatus::corrupt;
}

EventStreamStatus EventStreamDecoder::next(EventStreamMessage& out) {
  if (!why_.empty()) return EventStreamStatus::corrupt;
  const std::size_t avail = buf_.size() - pos_;
  if (avail < 12) return EventStreamStatus::need_more;
  const char* m = buf_.data() + pos_;
  const std::uint32_t total = be32(m);
  const std::uint32_t headers_len = be32(m + 4);
  if (total < 16) return fail("a message shorter than 16 bytes");
  if (total > max_message_) return fail("a message of " + std::to_string(total) + " bytes (at most " + std::to_string(max_message_) + ")");
  if (headers_len > total - 16) return fail("headers longer than the message");
  if (headers_len > kMaxHeaders) return fail("a header block over 128 KiB");
  const std::uint32_t prelude_crc = eventstream_crc32({m, 8});
  if (prelude_crc != be32(m + 8)) return fail("a prelude CRC mismatch");
  if (avail < total) return EventStreamStatus::need_more;
  if (eventstream_crc32({m + 8, total - 12}, prelude_crc) != be32(m + total - 4)) return fail("a message CRC mismatch");

  out = EventStreamMessage{};
  const char* h = m + 12;
  const char* end = h + headers_len;
  while (h < end) {
    const auto name_len = static_cast<unsigned char>(*h++);
    if (name_len == 0 || end - h < name_len + 1) return fail("a malformed header");
    const std::string_view name(h, name_len);
    h += name_len;
    const auto type = static_cast<unsigned char>(*h++);
    const int size = fixed_size(type);
    if (size == -2) return fail("a header of unknown type " + std::to_string(type));
    if (size >= 0) {
      if (end - h < size) return fail("a malformed header");
      h += size;
      continue;
    }
    if (end - h < 2) return fail("a malformed header");
    const std::uint16_t len = be16(h);
    h += 2;
    if (end - h < len) return fail("a malformed header");
    const std::string_view value(h, len);
    h += len;
    if (type != 7) continue;
    if (name == ":message-type") out.message_type = value;
    else if (name == ":event-type" || name == ":exception-type") out.event = value;
    else if (name == ":content-type") out.content_type = value;
    else if (name == ":error-code") out.error_code = value;
    else if (name == ":error-message") out.error_message = value;
  }
  out.data = std::string_view(end, total - headers_len - 16);
  pos_ += total;
  return EventStreamStatus::message;
}

std::string encode_event_stream_message(std::initializer_list<std::pair<std::string_view, std::string_view>> headers,
                                        std::string_view payload) {
  std::string hb;
  for (const auto& [k, v] : headers) {
    hb += static_cast<char>(k.size());
    hb += k;
    hb += static_cast<char>(7);
    hb += static_cast<char>((v.size() >> 8) & 0xff);
    hb += static_cast<char>(v.size() & 0xff);
    hb += v;
  }
  std::string msg;
  const auto total = static_cast<std::uint32_t>(16 + hb.size() + payload.size());
  put32(msg, total);
  put32(msg, static_cast<std::uint32_t>(hb.size()));
  put32(msg, eventstream_crc32(msg));
  msg += hb;
  msg += payload;
  put32(msg, eventstream_crc32(msg));
  return msg;
}

}  // namespace switchyard::providers
