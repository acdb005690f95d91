#include "providers/upstream_error.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <functional>

namespace switchyard::providers {

std::string redact(std::string text, std::string_view secret) {
  if (secret.size() < 4) return text;
  for (auto pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos)) {
    text.replace(pos, secret.size(), "[redacted]");
  }
  return text;
}

namespace {

// Fills message and upstream_error from a parsed {"error": ...} value.
bool read_error_object(const boost::json::value& v, Error& e, std::string_view secret) {
  const auto* obj = v.if_object();
  if (!obj) return false;
  const auto* err = obj->if_contains("error");
  if (!err) return false;
  if (const auto* s = err->if_string()) {
    e.message = redact(std::string(*s), secret);
    return true;
  }
  if (const auto* eo = err->if_object()) {
    if (const auto* m = eo->if_contains("message"); m && m->is_string()) {
      e.message = redact(std::string(m->as_string()), secret);
    }
    e.upstream_error = redact(boost::json::serialize(*eo), secret);
    if (e.upstream_status == 0) {  // errors inside a stream may carry their own code
      if (const auto* c = eo->if_contains("code"); c && c->is_int64()) {
        e.upstream_status = static_cast<int>(c->as_int64());
      }
    }
    return true;
  }
  return false;
}

std::string snippet(std::string_view body) {
  std::string s(body.substr(0, 200));
  for (auto& ch : s) {
    if (static_cast<unsigned char>(ch) < 0x20) ch = ' ';
  }
  return s;
}

}  // namespace

Error error_from_upstream(unsigned status, std::string_view body, std::string_view retry_after,
                          const std::string& provider, std::string_view secret) {
  Error e;
  e.code = errc::upstream_status;
  e.provider = provider;
  e.upstream_status = static_cast<int>(status);
  e.retry_after = std::string(retry_after);
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  std::string detail;
  if (!ec && read_error_object(v, e, secret)) {
    detail = e.message;
  } else if (!body.empty()) {
    detail = redact(snippet(body), secret);
  }
  e.message = "returned HTTP " + std::to_string(status) + (detail.empty() ? "" : ": " + detail);
  return e;
}

std::optional<Error> error_in_stream(std::string_view data, const std::string& provider, std::string_view secret) {
  // Cheap test first: a chunk's JSON never has a top-level "error" key, and an
  // "error" inside string content is escaped (\"error\").
  // Boyer-Moore-Horspool with its table built once: string_view::find calls
  // memchr once per '"' (a chunk is full of them) and glibc's memmem builds a
  // table per call; both cost more per chunk.
  static constexpr std::string_view key = "\"error\"";
  static const std::boyer_moore_horspool_searcher searcher(key.begin(), key.end());
  if (std::search(data.begin(), data.end(), searcher) == data.end()) return std::nullopt;
  boost::system::error_code ec;
  auto v = boost::json::parse(data, ec);
  if (ec) return std::nullopt;
  Error e;
  e.code = errc::upstream_status;
  e.provider = provider;
  if (!read_error_object(v, e, secret)) return std::nullopt;
  if (e.upstream_status < 400 || e.upstream_status > 599) e.upstream_status = 502;
  e.message = "failed mid-stream: " + e.message;
  return e;
}

}  // namespace switchyard::providers
