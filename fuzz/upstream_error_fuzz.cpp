// Upstream error bodies and redaction: the key never survives, whatever the text.
#include <cstdint>
#include <string>

#include "providers/upstream_error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace switchyard::providers;
  const std::string text(reinterpret_cast<const char*>(data), size);
  const std::string secret = "sk-fuzz-0123456789";
  const auto e = error_from_upstream(size % 600, text, "1", "p", secret);
  if (e.message.find(secret) != std::string::npos || e.upstream_error.find(secret) != std::string::npos) __builtin_trap();
  const auto r = redact_secrets(text + secret, {secret});
  if (r.find(secret) != std::string::npos) __builtin_trap();
  return 0;
}
