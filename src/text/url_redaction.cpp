#include "text/url_redaction.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <algorithm>
#include <cctype>
#include <vector>

namespace switchyard::text {

namespace {
bool secret_name(std::string_view name) {
  std::string n(name);
  std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (std::string_view s : {"key", "api_key", "apikey", "api-key", "token", "access_token", "sig", "signature", "password", "secret"}) {
    if (n == s) return true;
  }
  return false;
}
}  // namespace

std::string redact_url(std::string_view text) {
  auto parsed = boost::urls::parse_uri_reference(text);
  if (!parsed) {
    // Not a URL: whatever sits between "://" and an "@" before the next "/" is taken for credentials.
    std::string out(text);
    if (const auto scheme = out.find("://"); scheme != std::string::npos) {
      const auto slash = out.find('/', scheme + 3);
      const auto at = out.rfind('@', slash == std::string::npos ? std::string::npos : slash);
      if (at != std::string::npos && at > scheme) out.replace(scheme + 3, at - (scheme + 3), "***");
    }
    return out;
  }
  boost::urls::url u(*parsed);
  if (u.has_userinfo()) u.set_userinfo("***");
  if (u.has_query()) {
    std::vector<std::pair<std::string, std::string>> params;
    bool changed = false;
    for (auto p : u.params()) {
      std::string value = p.has_value ? std::string(p.value) : std::string();
      if (secret_name(p.key) && !value.empty()) {
        value = "***";
        changed = true;
      }
      params.emplace_back(std::string(p.key), std::move(value));
    }
    if (changed) {
      u.remove_query();
      for (auto& [k, v] : params) u.params().append({k, v});
    }
  }
  return std::string(u.buffer());
}

}  // namespace switchyard::text
