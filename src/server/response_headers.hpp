#pragma once
// The one place a request's stages add response headers (rate-limit headers,
// cache status, ...): collected here as "Name: value\r\n" lines, written by
// ResponseWriter into whatever answer the request gets (JSON, error or stream).
#include <string>
#include <string_view>

namespace switchyard::server {

class ResponseHeaders {
 public:
  // Names and values with CR, LF or NUL are refused (no header injection): false.
  bool add(std::string_view name, std::string_view value) {
    if (name.empty() || !clean(name) || !clean(value)) return false;
    lines_ += name;
    lines_ += ": ";
    lines_ += value;
    lines_ += "\r\n";
    return true;
  }
  std::string_view lines() const noexcept { return lines_; }
  void clear() noexcept { lines_.clear(); }

 private:
  // A plain loop: string_view::find_first_of calls memchr once per byte of the set.
  static bool clean(std::string_view s) noexcept {
    for (const char c : s) {
      if (c == '\r' || c == '\n' || c == '\0') return false;
    }
    return true;
  }
  std::string lines_;
};

}  // namespace switchyard::server
