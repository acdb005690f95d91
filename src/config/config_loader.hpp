#pragma once
// Loads a Config from TOML. The only file that includes toml++. Every error
// names the file, line and key and says what is wrong; unknown keys are
// errors. Providers or keys whose ${ENV} secrets are unset are skipped with
// a warning in Config::warnings, not failed.
#include <switchyard/config.hpp>

#include <boost/system/result.hpp>

#include <string>
#include <string_view>

#include "config/env_expander.hpp"

namespace switchyard::config {

using LoadResult = boost::system::result<Config, std::string>;

LoadResult load_config_file(const std::string& path, const EnvLookup& env);
LoadResult load_config_string(std::string_view toml_text, const std::string& source_name, const EnvLookup& env);

}  // namespace switchyard::config
