#include "config/env_expander.hpp"

#include <cstdlib>

namespace switchyard::config {

EnvLookup process_env() {
  return [](const std::string& name) -> std::optional<std::string> {
    if (const char* v = std::getenv(name.c_str())) return std::string(v);
    return std::nullopt;
  };
}

Expanded expand_env(std::string_view text, const EnvLookup& env) {
  Expanded out;
  out.value.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '{') {
      const auto close = text.find('}', i + 2);
      if (close == std::string_view::npos) {
        // The value is not repeated: it may be a secret written in place.
        out.error = "unterminated ${ (no closing brace after character " + std::to_string(i + 1) + ")";
        return out;
      }
      std::string_view inner = text.substr(i + 2, close - i - 2);
      std::optional<std::string_view> fallback;
      if (auto sep = inner.find(":-"); sep != std::string_view::npos) {
        fallback = inner.substr(sep + 2);
        inner = inner.substr(0, sep);
      }
      if (inner.empty()) {
        out.error = "empty variable name in ${}";
        return out;
      }
      const auto value = env(std::string(inner));
      if (value && !value->empty()) {
        out.value += *value;
      } else if (fallback) {
        out.value += *fallback;
      } else {
        out.missing.emplace_back(inner);
      }
      i = close + 1;
    } else {
      out.value += text[i++];
    }
  }
  return out;
}

}  // namespace switchyard::config
