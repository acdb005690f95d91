#pragma once
// Expands ${VAR} and ${VAR:-default} in config strings. The environment is
// injected as a lookup function so tests need not touch the process env.
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchyard::config {

using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

EnvLookup process_env();

struct Expanded {
  std::string value;
  std::vector<std::string> missing;  // variables that were unset and had no default
  std::string error;                 // syntax error, e.g. unterminated ${
};

Expanded expand_env(std::string_view text, const EnvLookup& env);

}  // namespace switchyard::config
