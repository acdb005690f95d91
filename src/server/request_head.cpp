#include "server/request_head.hpp"

#include <tuple>

#include "server/cache_control.hpp"

#include <boost/beast/core/string.hpp>

#include "server/request_id.hpp"

namespace switchyard::server {

namespace http = boost::beast::http;

namespace {
std::string_view trimmed(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}
}  // namespace

std::optional<FramingRejection> check_framing(const RequestHeader& header) {
  const auto range = header.equal_range(http::field::transfer_encoding);
  if (range.first == range.second) return std::nullopt;
  if (std::next(range.first) != range.second) {
    return FramingRejection{400, "invalid_transfer_encoding", "Transfer-Encoding must be sent once, as exactly 'chunked'"};
  }
  if (header.version() < 11) {
    return FramingRejection{400, "invalid_transfer_encoding", "Transfer-Encoding is not allowed in an HTTP/1.0 request"};
  }
  if (header.find(http::field::content_length) != header.end()) {
    return FramingRejection{400, "invalid_transfer_encoding", "a request may not carry both Transfer-Encoding and Content-Length"};
  }
  const std::string_view value = trimmed(range.first->value());
  if (value.find(',') != std::string_view::npos) {
    return FramingRejection{400, "invalid_transfer_encoding", "Transfer-Encoding must be exactly 'chunked' (no list of codings)"};
  }
  if (!boost::beast::iequals(value, "chunked")) {
    return FramingRejection{501, "unsupported_transfer_encoding", "the only Transfer-Encoding accepted is 'chunked'"};
  }
  return std::nullopt;
}

namespace {
// The value of a `key` query parameter (Google's clients may send the key so), empty when none.
std::string_view query_key(std::string_view target) {
  const auto q = target.find('?');
  if (q == std::string_view::npos) return {};
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view param = query.substr(0, amp);
    if (param.starts_with("key=")) return param.substr(4);
    query.remove_prefix(amp == std::string_view::npos ? query.size() : amp + 1);
  }
  return {};
}
}  // namespace

RequestHead read_request_head(const RequestHeader& header, bool keep_alive, bool chunked,
                              std::uint64_t content_length) {
  RequestHead h;
  h.method = header.method();
  h.method_text = std::string(header.method_string());
  h.target = std::string(header.target());
  h.version = header.version();
  h.keep_alive = keep_alive;
  if (auto it = header.find(http::field::authorization); it != header.end()) h.authorization = std::string(it->value());
  else if (auto xk = header.find("x-api-key"); xk != header.end()) h.authorization = std::string(xk->value());
  else if (auto gk = header.find("x-goog-api-key"); gk != header.end()) h.authorization = std::string(gk->value());
  else if (auto q = query_key(header.target()); !q.empty()) h.authorization = std::string(q);  // Google's ?key= (redacted from logs)
  if (auto it = header.find("x-request-id"); it != header.end() && acceptable_request_id(it->value())) {
    h.request_id = std::string(it->value());
  }
  if (auto it = header.find(http::field::expect); it != header.end() && boost::beast::iequals(trimmed(it->value()), "100-continue")) {
    h.expect_continue = true;
  }
  if (auto it = header.find("x-switchyard-user"); it != header.end()) h.end_user = std::string(it->value());
  // Anthropic's feature flags, forwarded to anthropic providers with a passed-through /v1/messages request.
  if (auto it = header.find("anthropic-beta"); it != header.end() && it->value().size() <= 1024) {
    const std::string_view v = it->value();
    bool printable = true;
    for (char c : v) printable = printable && static_cast<unsigned char>(c) >= 0x20 && c != 0x7f;
    if (printable) h.anthropic_beta = std::string(v);
  }
  // W3C trace context: kept when short and printable (the tracer parses traceparent strictly); one header of each.
  for (auto [name, out, limit] : {std::tuple{"traceparent", &h.traceparent, std::size_t(128)}, {"tracestate", &h.tracestate, std::size_t(512)}}) {
    auto it = header.find(name);
    if (it == header.end() || it->value().size() > limit || header.count(name) != 1) continue;
    bool printable = true;
    for (char c : it->value()) printable = printable && static_cast<unsigned char>(c) >= 0x20 && c != 0x7f;
    if (printable) *out = std::string(it->value());
  }
  {
    const auto cc = header.find(http::field::cache_control);
    const auto sw = header.find("x-switchyard-cache");
    if (cc != header.end() || sw != header.end()) {
      h.cache = parse_cache_control(cc != header.end() ? std::string_view(cc->value()) : std::string_view(), sw != header.end() ? std::string_view(sw->value()) : std::string_view());
    }
  }
  h.has_body = chunked || content_length > 0;
  return h;
}

}  // namespace switchyard::server
