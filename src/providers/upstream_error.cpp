#include "providers/upstream_error.hpp"

#include "text/byte_search.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <functional>

namespace switchyard::providers {

namespace {
constexpr std::string_view kRedacted = "[redacted]";

bool token_char(char c) noexcept {
  const auto u = static_cast<unsigned char>(c);
  return std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~' || c == '+' || c == '/' || c == '=';
}

bool iequal_at(std::string_view text, std::size_t pos, std::string_view word) noexcept {
  if (pos + word.size() > text.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[pos + i])) != word[i]) return false;
  }
  return true;
}

// Replaces the token after each (case-insensitive) `marker` with [redacted].
void redact_after(std::string& text, std::string_view marker) {
  for (std::size_t pos = 0; pos < text.size();) {
    std::size_t at = std::string::npos;
    for (std::size_t i = pos; i + marker.size() <= text.size(); ++i) {
      if (iequal_at(text, i, marker)) {
        at = i;
        break;
      }
    }
    if (at == std::string::npos) return;
    std::size_t start = at + marker.size();
    while (start < text.size() && (text[start] == ' ' || text[start] == '\t')) ++start;
    std::size_t end = start;
    while (end < text.size() && token_char(text[end])) ++end;
    if (end > start) {  // ("[redacted]" is not a token: never redacted twice)
      text.replace(start, end - start, kRedacted);
      end = start + kRedacted.size();
    }
    pos = end > at ? end : at + 1;
  }
}
}  // namespace

std::string redact(std::string text, std::string_view secret) {
  if (secret.size() < 4) return text;
  for (auto pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos)) {
    text.replace(pos, secret.size(), kRedacted);
  }
  // A secret cut short (the text was truncated upstream, or echoed in part).
  if (secret.size() >= 8) {
    const std::string_view head = secret.substr(0, 8);
    for (auto pos = text.find(head); pos != std::string::npos; pos = text.find(head, pos)) {
      std::size_t n = head.size();
      while (pos + n < text.size() && n < secret.size() && text[pos + n] == secret[n]) ++n;
      text.replace(pos, n, kRedacted);
    }
  }
  return text;
}

std::string redact_secrets(std::string text, const std::vector<std::string>& secrets) {
  for (const auto& s : secrets) text = redact(std::move(text), s);
  for (std::string_view marker : {"bearer ", "key=", "x-api-key:", "x-goog-api-key:", "api-key:", "\"api_key\":\"", "\"x-api-key\":\""}) {
    redact_after(text, marker);
  }
  return text;
}

Error redacted(Error e, const std::vector<std::string>& secrets) {
  e.message = redact_secrets(std::move(e.message), secrets);
  e.upstream_error = redact_secrets(std::move(e.upstream_error), secrets);
  return e;
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

// Redacted first, then cut: a cut must never leave part of a secret behind.
std::string snippet(std::string_view body, std::string_view secret) {
  std::string s = redact_secrets(redact(std::string(body.substr(0, 64 * 1024)), secret), {});
  if (s.size() > 200) s.resize(200);
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
  } else if (const auto* m = !ec && v.is_object() ? v.as_object().if_contains("message") : nullptr; m && m->is_string()) {
    detail = snippet(m->as_string(), secret);  // AWS's shape: {"message": "..."}
  } else if (const auto* m2 = !ec && v.is_object() ? v.as_object().if_contains("Message") : nullptr; m2 && m2->is_string()) {
    detail = snippet(m2->as_string(), secret);
  } else if (!body.empty()) {
    detail = snippet(body, secret);
  }
  e.message = "returned HTTP " + std::to_string(status) + (detail.empty() ? "" : ": " + detail);
  return e;
}

std::optional<Error> error_in_stream(std::string_view data, const std::string& provider, std::string_view secret) {
  // Cheap test first: a chunk's JSON never has a top-level "error" key, and an
  // "error" inside string content is escaped (\"error\").
  if (!text::contains_bytes(data, "\"error\"")) return std::nullopt;
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
