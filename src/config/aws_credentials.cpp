#include "config/aws_credentials.hpp"

#include <fstream>
#include <sstream>

namespace switchyard::config {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<AwsKeys> read_aws_profile(std::string_view ini, std::string_view profile) {
  AwsKeys keys;
  bool in_profile = false;
  while (!ini.empty()) {
    const auto nl = ini.find('\n');
    std::string_view line = trim(ini.substr(0, nl));
    ini.remove_prefix(nl == std::string_view::npos ? ini.size() : nl + 1);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '[') {
      const auto close = line.find(']');
      in_profile = close != std::string_view::npos && trim(line.substr(1, close - 1)) == profile;
      continue;
    }
    if (!in_profile) continue;
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string_view key = trim(line.substr(0, eq));
    const std::string value(trim(line.substr(eq + 1)));
    if (key == "aws_access_key_id") keys.access_key_id = value;
    else if (key == "aws_secret_access_key") keys.secret_access_key = value;
    else if (key == "aws_session_token" || (key == "aws_security_token" && keys.session_token.empty())) keys.session_token = value;
  }
  if (keys.access_key_id.empty() || keys.secret_access_key.empty()) return std::nullopt;
  return keys;
}

std::optional<AwsKeys> discover_aws_credentials(const EnvLookup& env) {
  auto get = [&](const char* name) { return env(name).value_or(""); };
  if (!get("AWS_ACCESS_KEY_ID").empty() && !get("AWS_SECRET_ACCESS_KEY").empty()) {
    AwsKeys k{get("AWS_ACCESS_KEY_ID"), get("AWS_SECRET_ACCESS_KEY"), get("AWS_SESSION_TOKEN"), "environment"};
    if (k.session_token.empty()) k.session_token = get("AWS_SECURITY_TOKEN");
    return k;
  }
  std::string file = get("AWS_SHARED_CREDENTIALS_FILE");
  if (file.empty()) {
    const std::string home = get("HOME");
    if (home.empty()) return std::nullopt;
    file = home + "/.aws/credentials";
  }
  std::string profile = get("AWS_PROFILE");
  if (profile.empty()) profile = get("AWS_DEFAULT_PROFILE");
  if (profile.empty()) profile = "default";
  std::ifstream in(file);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  auto keys = read_aws_profile(text.str(), profile);
  if (keys) keys->source = file + " [" + profile + "]";
  return keys;
}

}  // namespace switchyard::config
