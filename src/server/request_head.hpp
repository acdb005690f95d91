#pragma once
// What the gateway takes from a request's head, read once the header block
// has arrived and before any body byte is read: the method, target, keep-alive,
// the client's key and request id. Fields that arrive later (chunked trailer
// fields, which Beast merges into the same field set) are never consulted,
// so a key or a request id in a trailer counts for nothing.
//
// check_framing() refuses what would let a body be read two ways (request
// smuggling, RFC 9112 §6.1 and §6.3): any Transfer-Encoding other than exactly
// "chunked" (a list: 400; an unknown or unsupported coding: 501), a
// Transfer-Encoding repeated or sent by an HTTP/1.0 client, or one together
// with a Content-Length.
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/verb.hpp>

#include <optional>
#include <switchyard/chat.hpp>

#include <string>
#include <string_view>

namespace switchyard::server {

struct RequestHead {
  boost::beast::http::verb method = boost::beast::http::verb::unknown;
  std::string method_text;    // as sent, for the log
  std::string target;
  unsigned version = 11;
  bool keep_alive = true;
  std::string authorization;  // Authorization, else x-api-key ("" when neither)
  std::string request_id;     // the client's x-request-id when acceptable, else ""
  CacheControl cache;         // Cache-Control / x-switchyard-cache: what the response cache may do
  std::string end_user;       // x-switchyard-user: the end user the request is made for (checked by the pipeline)
  std::string anthropic_beta;  // anthropic-beta (≤ 1 KiB, printable), for a passed-through /v1/messages request
  std::string traceparent, tracestate;  // W3C trace context (≤ 128 and 512 bytes, printable), else ""
  bool expect_continue = false;
  bool has_body = false;      // a Content-Length above 0, or chunked

  std::string_view path() const noexcept {
    const std::string_view t = target;
    return t.substr(0, t.find('?'));
  }
};

struct FramingRejection {
  unsigned status;       // 400 or 501
  std::string_view code;  // for the JSON error
  std::string_view message;
};

using RequestHeader = boost::beast::http::header<true, boost::beast::http::fields>;

std::optional<FramingRejection> check_framing(const RequestHeader& header);

// `chunked` and `content_length` (0 when none) come from the parser (it knows the framing).
RequestHead read_request_head(const RequestHeader& header, bool keep_alive, bool chunked,
                              std::uint64_t content_length);

}  // namespace switchyard::server
