// The config loader on any text: a config or an error message, never a crash.
#include <cstdint>
#include <string>

#include "config/config_loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "KEY") return std::string("sk-fuzz-secret");
    return std::nullopt;
  };
  try {
    (void)switchyard::config::load_config_string(text, "fuzz.toml", env);
  } catch (...) {
    __builtin_trap();
  }
  return 0;
}
