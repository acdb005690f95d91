#pragma once
// Serializes the gateway's responses to clients straight into reusable
// buffers: one head string per connection, the body referenced, never copied.
// Cheaper than a generic HTTP serializer on the hot path; used for every
// response the gateway sends.
#include <boost/asio/buffer.hpp>

#include <array>
#include <string>
#include <string_view>

namespace switchyard::server {

class ResponseWriter {
 public:
  struct Meta {
    std::string_view request_id;
    std::string_view overhead_us;  // empty = no x-switchyard-overhead-us header
    std::string_view retry_after;  // empty = none
    bool keep_alive = true;
    bool http10 = false;           // the client spoke HTTP/1.0
    bool head_only = false;        // a HEAD request: the head (with Content-Length) and no body
    std::string_view extra;        // more header lines, each "Name: value\r\n" (ResponseHeaders)
  };

  // A complete JSON response: head + body. Buffers stay valid while `body` and the writer live.
  const std::array<boost::asio::const_buffer, 2>& json(unsigned status, std::string_view body, const Meta& meta) {
    return complete(status, "application/json", body, meta);
  }
  // Prometheus text exposition.
  const std::array<boost::asio::const_buffer, 2>& text(unsigned status, std::string_view body, const Meta& meta) {
    return complete(status, "text/plain; version=0.0.4", body, meta);
  }
  const std::array<boost::asio::const_buffer, 2>& complete(unsigned status, std::string_view content_type,
                                                           std::string_view body, const Meta& meta);

  // The head of a chunked text/event-stream response.
  boost::asio::const_buffer stream_head(const Meta& meta);

  // One SSE `data:` event as one HTTP chunk, appended to `out`.
  static void append_sse(std::string& out, std::string_view data);

  // Bytes already framed by the caller (e.g. Anthropic SSE events) as one HTTP chunk, appended to `out`.
  static void append_chunk(std::string& out, std::string_view bytes);

  // A stream's bytes gathered for one write (ChatHandler::relay); reused.
  std::string& batch() noexcept { return batch_; }

  // The chunk that ends a chunked body.
  static boost::asio::const_buffer last_chunk() { return boost::asio::buffer(std::string_view("0\r\n\r\n")); }

 private:
  void common_headers(const Meta& meta);

  std::string head_;
  std::array<boost::asio::const_buffer, 2> json_{};
  std::string batch_;
};

}  // namespace switchyard::server
