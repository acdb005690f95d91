#include "config/config_loader.hpp"

#include <openssl/evp.h>

#include "text/hex.hpp"
#include "config/aws_credentials.hpp"

#include <toml++/toml.h>

#include <fstream>
#include <set>
#include <algorithm>
#include <sstream>
#include <stdexcept>

#include <boost/url/parse.hpp>

namespace switchyard::config {
namespace {

// Thrown inside the loader only; turned into the LoadResult error at the boundary.
struct LoadError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Reader {
 public:
  Reader(std::string source, const EnvLookup& env) : source_(std::move(source)), env_(env) {}
  const EnvLookup& env() const noexcept { return env_; }

  [[noreturn]] void fail(const toml::node* node, const std::string& key, const std::string& what) const {
    std::ostringstream os;
    os << source_;
    if (node && node->source().begin.line > 0) os << ':' << node->source().begin.line;
    os << ": " << key << ": " << what;
    throw LoadError(os.str());
  }

  // Checks that a table only has the keys listed; the first unknown one is an error.
  void only_keys(const toml::table& t, const std::string& path, std::initializer_list<std::string_view> allowed) const {
    for (auto&& [k, v] : t) {
      bool ok = false;
      for (auto a : allowed) ok = ok || a == k.str();
      if (!ok) {
        std::string list;
        for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
        fail(&v, join(path, k.str()), "unknown key (allowed: " + list + ")");
      }
    }
  }

  static std::string join(const std::string& path, std::string_view key) {
    return path.empty() ? std::string(key) : path + "." + std::string(key);
  }

  const toml::table* table(const toml::table& t, const std::string& path, std::string_view key) const {
    const toml::node* n = t.get(key);
    if (!n) return nullptr;
    if (!n->is_table()) fail(n, join(path, key), "must be a table");
    return n->as_table();
  }

  // Reads a string and expands ${ENV}; `missing` collects unset variables.
  std::optional<std::string> string(const toml::table& t, const std::string& path, std::string_view key,
                                    std::vector<std::string>* missing = nullptr) const {
    const toml::node* n = t.get(key);
    if (!n) return std::nullopt;
    if (!n->is_string()) fail(n, join(path, key), "must be a string");
    auto ex = expand_env(n->as_string()->get(), env_);
    if (!ex.error.empty()) fail(n, join(path, key), ex.error);
    if (!ex.missing.empty()) {
      if (!missing) fail(n, join(path, key), "environment variable " + ex.missing.front() + " is not set");
      missing->insert(missing->end(), ex.missing.begin(), ex.missing.end());
    }
    return std::move(ex.value);
  }

  std::string required_string(const toml::table& t, const std::string& path, std::string_view key) const {
    auto v = string(t, path, key);
    if (!v || v->empty()) fail(&t, join(path, key), "is required and must not be empty");
    return *v;
  }

  std::optional<std::int64_t> integer(const toml::table& t, const std::string& path, std::string_view key,
                                      std::int64_t min, std::int64_t max) const {
    const toml::node* n = t.get(key);
    if (!n) return std::nullopt;
    if (!n->is_integer()) fail(n, join(path, key), "must be an integer");
    const auto v = n->as_integer()->get();
    if (v < min || v > max) {
      fail(n, join(path, key), "must be between " + std::to_string(min) + " and " + std::to_string(max));
    }
    return v;
  }

  std::optional<double> number(const toml::table& t, const std::string& path, std::string_view key, double min,
                               double max) const {
    const toml::node* n = t.get(key);
    if (!n) return std::nullopt;
    if (!n->is_number()) fail(n, join(path, key), "must be a number");
    const double v = n->is_integer() ? static_cast<double>(n->as_integer()->get()) : n->as_floating_point()->get();
    if (v < min || v > max) fail(n, join(path, key), "must be between " + std::to_string(min) + " and " + std::to_string(max));
    return v;
  }

  void millis(const toml::table& t, const std::string& path, std::string_view key, Millis& out) const {
    if (auto v = integer(t, path, key, 1, 24LL * 3600 * 1000)) out = Millis(*v);
  }

  void size(const toml::table& t, const std::string& path, std::string_view key, std::size_t& out,
            std::int64_t min = 1, std::int64_t max = std::int64_t(1) << 40) const {
    if (auto v = integer(t, path, key, min, max)) out = static_cast<std::size_t>(*v);
  }

  std::optional<bool> boolean(const toml::table& t, const std::string& path, std::string_view key) const {
    const toml::node* n = t.get(key);
    if (!n) return std::nullopt;
    if (!n->is_boolean()) fail(n, join(path, key), "must be true or false");
    return n->as_boolean()->get();
  }

  const toml::array* array_of_tables(const toml::table& t, std::string_view key) const {
    const toml::node* n = t.get(key);
    if (!n) return nullptr;
    if (!n->is_array_of_tables() && !(n->is_array() && n->as_array()->empty())) {
      fail(n, std::string(key), "must be an array of tables ([[" + std::string(key) + "]])");
    }
    return n->as_array();
  }

  std::vector<std::string> string_list(const toml::table& t, const std::string& path, std::string_view key) const {
    std::vector<std::string> out;
    const toml::node* n = t.get(key);
    if (!n) return out;
    if (!n->is_array()) fail(n, join(path, key), "must be an array of strings");
    for (auto&& item : *n->as_array()) {
      if (!item.is_string()) fail(&item, join(path, key), "must be an array of strings");
      out.push_back(item.as_string()->get());
    }
    return out;
  }

  const std::string& source() const { return source_; }

 private:
  std::string source_;
  const EnvLookup& env_;
};

void load_server(const Reader& r, const toml::table& root, ServerConfig& s) {
  const toml::table* t = r.table(root, "", "server");
  if (!t) return;
  r.only_keys(*t, "server",
              {"listen", "max_body_bytes", "max_header_bytes", "idle_timeout_ms", "request_timeout_ms",
               "write_timeout_ms", "shutdown_grace_ms", "max_connections", "access_log", "access_log_format", "admin_key", "json_memory_factor",
               "max_json_memory_bytes", "max_header_memory_bytes", "max_embeddings_memory_bytes", "workers"});
  if (auto listen = r.string(*t, "server", "listen")) {
    const auto colon = listen->rfind(':');
    if (colon == std::string::npos || colon == 0) r.fail(t->get("listen"), "server.listen", "must be host:port");
    std::string host = listen->substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    int port = -1;
    try {
      std::size_t used = 0;
      port = std::stoi(listen->substr(colon + 1), &used);
      if (used != listen->size() - colon - 1) port = -1;
    } catch (const std::exception&) {
      port = -1;
    }
    if (port < 0 || port > 65535) r.fail(t->get("listen"), "server.listen", "port must be 0-65535");
    s.host = host;
    s.port = static_cast<std::uint16_t>(port);
  }
  r.size(*t, "server", "max_body_bytes", s.max_body_bytes);
  r.size(*t, "server", "max_header_bytes", s.max_header_bytes, 1024, 1 << 20);
  r.size(*t, "server", "json_memory_factor", s.json_memory_factor, 1, 1024);
  r.size(*t, "server", "max_header_memory_bytes", s.max_header_memory_bytes, 64 * 1024);
  r.size(*t, "server", "max_json_memory_bytes", s.max_json_memory_bytes, 1 << 20);
  r.size(*t, "server", "max_embeddings_memory_bytes", s.max_embeddings_memory_bytes, 1 << 20);
  r.millis(*t, "server", "idle_timeout_ms", s.idle_timeout);
  r.millis(*t, "server", "request_timeout_ms", s.request_timeout);
  r.millis(*t, "server", "write_timeout_ms", s.write_timeout);
  r.millis(*t, "server", "shutdown_grace_ms", s.shutdown_grace);
  r.size(*t, "server", "max_connections", s.max_connections);
  r.size(*t, "server", "workers", s.workers, 0, 256);
  if (auto v = r.boolean(*t, "server", "access_log")) s.access_log = *v;
  if (auto v = r.string(*t, "server", "access_log_format")) {
    if (*v == "json") s.access_log_json = true;
    else if (*v != "logfmt") r.fail(t->get("access_log_format"), "server.access_log_format", "must be \"logfmt\" or \"json\"");
  }
  std::vector<std::string> missing;
  if (auto v = r.string(*t, "server", "admin_key", &missing); v && missing.empty()) {
    if (v->size() < 16) r.fail(t->get("admin_key"), "server.admin_key", "must be at least 16 characters");
    s.admin_key = *v;
  }
}

void load_pool(const Reader& r, const toml::table& p, const std::string& path, PoolConfig& pool) {
  const toml::table* t = r.table(p, path, "pool");
  if (!t) return;
  const std::string pp = path + ".pool";
  r.only_keys(*t, pp, {"max_connections", "max_waiters", "queue_timeout_ms", "idle_timeout_ms", "peek_after_idle_ms"});
  r.size(*t, pp, "max_connections", pool.max_connections, 1, 100'000);
  r.size(*t, pp, "max_waiters", pool.max_waiters, 0, 1'000'000);
  r.millis(*t, pp, "queue_timeout_ms", pool.queue_timeout);
  r.millis(*t, pp, "idle_timeout_ms", pool.idle_timeout);
  if (auto v = r.integer(*t, pp, "peek_after_idle_ms", 0, 3'600'000)) pool.peek_after_idle = Millis(*v);
}

// The windows and concurrency of a limits table; 0 = no limit. `extra`: other keys the table may hold.
LimitsConfig read_limits(const Reader& r, const toml::table& l, const std::string& lp, std::initializer_list<std::string_view> extra = {}) {
  LimitsConfig lim;
  std::vector<std::string_view> allowed{"requests_per_minute", "requests_per_hour", "requests_per_day", "tokens_per_minute", "tokens_per_hour",
                                        "tokens_per_day", "concurrent"};
  allowed.insert(allowed.end(), extra.begin(), extra.end());
  for (auto&& [k, v] : l) {
    if (std::find(allowed.begin(), allowed.end(), k.str()) != allowed.end()) continue;
    std::string list;
    for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
    r.fail(&v, lp + "." + std::string(k.str()), "unknown key (allowed: " + list + ")");
  }
  const std::pair<const char*, std::uint64_t*> windows[] = {
      {"requests_per_minute", &lim.requests_per_minute}, {"requests_per_hour", &lim.requests_per_hour},
      {"requests_per_day", &lim.requests_per_day},       {"tokens_per_minute", &lim.tokens_per_minute},
      {"tokens_per_hour", &lim.tokens_per_hour},         {"tokens_per_day", &lim.tokens_per_day}};
  for (auto [name, slot] : windows) {
    if (auto v = r.integer(l, lp, name, 1, 1'000'000'000'000)) *slot = static_cast<std::uint64_t>(*v);
  }
  if (auto v = r.integer(l, lp, "concurrent", 1, 1'000'000)) lim.concurrent = static_cast<std::uint32_t>(*v);
  return lim;
}

// A `limits` table (a key's, a team's, a provider's quota or a target's quota).
LimitsConfig load_limits(const Reader& r, const toml::table& owner, const std::string& path) {
  const toml::table* l = r.table(owner, path, "limits");
  return l ? read_limits(r, *l, path + ".limits") : LimitsConfig{};
}

BudgetPeriod read_period(const Reader& r, const toml::table& b, const std::string& bp) {
  auto period = r.string(b, bp, "period");
  if (!period) return BudgetPeriod::month;
  const auto parsed = parse_budget_period(*period);
  if (!parsed) r.fail(b.get("period"), bp + ".period", "unknown period \"" + *period + "\" (day, week, month, total)");
  return *parsed;
}

// budget = { usd, period }.
std::optional<BudgetConfig> load_budget(const Reader& r, const toml::table& k, const std::string& path) {
  const toml::table* b = r.table(k, path, "budget");
  if (!b) return std::nullopt;
  const std::string bp = path + ".budget";
  r.only_keys(*b, bp, {"usd", "period"});
  BudgetConfig budget;
  const auto usd = r.number(*b, bp, "usd", 0.000001, 1e12);
  if (!usd) r.fail(b, bp + ".usd", "is required (dollars per period, above 0)");
  budget.usd = *usd;
  budget.period = read_period(r, *b, bp);
  return budget;
}

// Presets fill the base URL of well-known vendors; each fits one type. "" when none is given.
std::string preset_base_url(const Reader& r, const toml::table& p, const std::string& path, ProviderType type) {
  struct Preset {
    std::string_view name;
    ProviderType type;
    std::string_view url;
  };
  static constexpr Preset presets[] = {
      {"openai", ProviderType::openai, "https://api.openai.com/v1"},       {"openrouter", ProviderType::openai, "https://openrouter.ai/api/v1"},
      {"mistral", ProviderType::openai, "https://api.mistral.ai/v1"},      {"deepseek", ProviderType::openai, "https://api.deepseek.com/v1"},
      {"groq", ProviderType::openai, "https://api.groq.com/openai/v1"},    {"together", ProviderType::openai, "https://api.together.xyz/v1"},
      {"anthropic", ProviderType::anthropic, "https://api.anthropic.com/v1"},
      {"gemini", ProviderType::gemini, "https://generativelanguage.googleapis.com/v1beta"}};
  auto preset = r.string(p, path, "preset");
  if (!preset) return {};
  for (const auto& candidate : presets) {
    if (candidate.name != *preset) continue;
    if (candidate.type != type) {
      r.fail(p.get("preset"), path + ".preset",
             "preset \"" + *preset + "\" is for type \"" + std::string(to_string(candidate.type)) + "\", not \"" + std::string(to_string(type)) + "\"");
    }
    return std::string(candidate.url);
  }
  r.fail(p.get("preset"), path + ".preset",
         "unknown preset \"" + *preset + "\" (known: openai, openrouter, mistral, deepseek, groq, together, anthropic, gemini)");
}

// api_key (every type) and ad_token (azure): checked for control characters;
// an unset variable names the provider skipped, except that Azure takes either
// credential, the one whose variable is set.
void load_credentials(const Reader& r, const toml::table& p, const std::string& path, ProviderConfig& out,
                      std::vector<std::string>& missing) {
  auto header_safe = [&](const toml::node* n, const std::string& where, const std::string& v) {
    for (const char c : v) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) r.fail(n, where, "must not contain control characters such as line breaks");
    }
  };
  std::vector<std::string> key_missing, token_missing;
  if (auto key = r.string(p, path, "api_key", &key_missing)) {
    header_safe(p.get("api_key"), path + ".api_key", *key);
    if (key_missing.empty()) out.api_key = *key;
  }
  if (auto token = r.string(p, path, "ad_token", &token_missing)) {
    if (out.type != ProviderType::azure) r.fail(p.get("ad_token"), path + ".ad_token", "is for type \"azure\" only");
    header_safe(p.get("ad_token"), path + ".ad_token", *token);
    if (token_missing.empty()) out.ad_token = *token;
  }
  // Azure takes either credential: the one whose variable is set.
  const bool azure_has_one = out.type == ProviderType::azure && (!out.api_key.empty() || !out.ad_token.empty());
  if (!azure_has_one) {
    missing.insert(missing.end(), key_missing.begin(), key_missing.end());
    missing.insert(missing.end(), token_missing.begin(), token_missing.end());
  }
}

// base_url (or the preset's), checked and made what the vendors' SDKs make of it.
void load_base_url(const Reader& r, const toml::table& p, const std::string& path, ProviderConfig& out) {
  std::string preset_url = preset_base_url(r, p, path, out.type);
  if (out.type == ProviderType::bedrock && !out.region.empty()) preset_url = "https://bedrock-runtime." + out.region + ".amazonaws.com";
  if (out.type == ProviderType::vertex) {
    preset_url = out.location == "global" ? std::string("https://aiplatform.googleapis.com") : "https://" + out.location + "-aiplatform.googleapis.com";
  }
  if (auto url = r.string(p, path, "base_url"); url && !url->empty()) out.base_url = *url;
  else if (!preset_url.empty()) out.base_url = preset_url;
  else r.fail(&p, path + ".base_url", "is required (or give a preset)");
  {
    auto u = boost::urls::parse_absolute_uri(out.base_url);
    if (!u || (u->scheme() != "http" && u->scheme() != "https") || u->host().empty()) {
      r.fail(p.get("base_url"), path + ".base_url", "must be an http:// or https:// URL with a host");
    }
    if (u->has_query() || u->has_fragment()) {
      r.fail(p.get("base_url"), path + ".base_url", "must not have a query or fragment");
    }
    // As the vendors' own SDKs take it: a base URL without a path gets the API's version path.
    std::string base = out.base_url;
    while (!base.empty() && base.back() == '/') base.pop_back();
    const bool no_path = u->encoded_path().empty() || u->encoded_path() == "/";
    if (out.type == ProviderType::anthropic && no_path) base += "/v1";
    if (out.type == ProviderType::gemini && no_path) base += "/v1beta";
    if (out.type == ProviderType::azure && base.ends_with("/openai")) base.resize(base.size() - 7);  // the resource's URL is what counts
    if (out.type == ProviderType::azure && base.ends_with("/openai/v1")) base.resize(base.size() - 10);
    out.base_url = base;
  }
}

// Extra headers (a provider's, the trace exporter's): names and values checked, values never printed.
std::vector<std::pair<std::string, std::string>> read_headers(const Reader& r, const toml::table& p, const std::string& path) {
  std::vector<std::pair<std::string, std::string>> out;
  // A value that goes into a request head: no control characters
  // (a line break would end the header). The value itself is never printed.
  auto header_safe = [&](const toml::node* n, const std::string& where, const std::string& v) {
    for (const char c : v) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) r.fail(n, where, "must not contain control characters such as line breaks");
    }
  };
  if (const toml::table* h = r.table(p, path, "headers")) {
    for (auto&& [k, v] : *h) {
      const std::string where = path + ".headers." + std::string(k.str());
      if (!v.is_string()) r.fail(&v, where, "must be a string");
      auto value = *r.string(*h, path + ".headers", k.str());
      header_safe(&v, where, value);
      if (k.str().empty() || k.str().find_first_of(": \t\r\n") != std::string_view::npos) r.fail(&v, where, "is not a valid header name");
      out.emplace_back(std::string(k.str()), std::move(value));
    }
  }
  return out;
}

void load_headers(const Reader& r, const toml::table& p, const std::string& path, ProviderConfig& out) {
  auto headers = read_headers(r, p, path);
  out.headers.insert(out.headers.end(), std::make_move_iterator(headers.begin()), std::make_move_iterator(headers.end()));
}

// A variable-expanded string whose unset variables make it absent (empty), not an error.
std::string optional_secret(const Reader& r, const toml::table& p, const std::string& path, std::string_view key) {
  std::vector<std::string> unset;
  auto v = r.string(p, path, key, &unset);
  if (!v || !unset.empty()) return {};
  for (const char c : *v) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) r.fail(p.get(key), path + "." + std::string(key), "must not contain control characters such as line breaks");
  }
  return *v;
}

// The keys of types "bedrock" and "vertex" (refused on other types). Returns
// why the provider cannot be used (no credentials found), or empty.
std::string load_cloud(const Reader& r, const toml::table& p, const std::string& path, ProviderConfig& out, const EnvLookup& env) {
  const bool bedrock = out.type == ProviderType::bedrock, vertex = out.type == ProviderType::vertex;
  for (const char* k : {"region", "access_key_id", "secret_access_key", "session_token"}) {
    if (!bedrock && p.get(k)) r.fail(p.get(k), path + "." + k, "is for type \"bedrock\" only");
  }
  for (const char* k : {"project", "location", "credentials_file", "access_token"}) {
    if (!vertex && p.get(k)) r.fail(p.get(k), path + "." + k, "is for type \"vertex\" only");
  }
  auto name_ok = [&](const char* key, const std::string& v) {
    if (v.empty() || v.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") != std::string::npos) {
      r.fail(p.get(key), path + "." + key, "must be a name such as \"us-east-1\" (lower-case letters, digits, '-')");
    }
  };
  if (bedrock) {
    if (auto v = r.string(p, path, "region")) out.region = *v;
    if (out.region.empty()) out.region = env("AWS_REGION").value_or(env("AWS_DEFAULT_REGION").value_or(""));
    if (out.region.empty()) r.fail(&p, path + ".region", "is required (or set AWS_REGION)");
    name_ok("region", out.region);
    out.access_key_id = optional_secret(r, p, path, "access_key_id");
    out.secret_access_key = optional_secret(r, p, path, "secret_access_key");
    out.session_token = optional_secret(r, p, path, "session_token");
    if (!out.api_key.empty()) {  // a Bedrock API key (bearer): no signing
      out.credential_source = "api_key (bearer)";
    } else if (!out.access_key_id.empty() && !out.secret_access_key.empty()) {
      out.credential_source = "config";
    } else if (auto found = discover_aws_credentials(env)) {
      out.access_key_id = found->access_key_id;
      out.secret_access_key = found->secret_access_key;
      out.session_token = found->session_token;
      out.credential_source = found->source;
    } else {
      return "no AWS credentials (access_key_id/secret_access_key, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, ~/.aws/credentials)";
    }
  }
  if (vertex) {
    out.project = r.required_string(p, path, "project");
    if (out.project.empty() || out.project.find_first_of("/?#%: \t\r\n") != std::string::npos) {
      r.fail(p.get("project"), path + ".project", "must be a Google Cloud project id");
    }
    out.location = "us-central1";
    if (auto v = r.string(p, path, "location")) out.location = *v;
    name_ok("location", out.location);
    out.credentials_file = optional_secret(r, p, path, "credentials_file");
    out.access_token = optional_secret(r, p, path, "access_token");
    if (!out.access_token.empty()) out.credential_source = "access_token";
    else if (!out.credentials_file.empty()) out.credential_source = out.credentials_file;
    else return "no Google credentials (credentials_file or access_token; their variables unset)";
  }
  return {};
}

constexpr std::size_t providers_max_keys() { return 64; }  // KeyPool::kMaxKeys

// api_keys = ["...", ...] or [[providers.keys]] { key, weight, limits }: several keys.
// Keys whose variable is unset are left out (named in `unset`); `declared`
// says whether the provider declared keys at all.
void load_key_pool(const Reader& r, const toml::table& p, const std::string& path, ProviderConfig& out, bool& declared,
                   std::vector<std::string>& unset) {
  const toml::node* list = p.get("api_keys");
  const toml::array* tables = r.array_of_tables(p, "keys");
  declared = list || tables;
  if (!declared) return;
  const toml::node* first = list ? list : p.get("keys");
  if (list && tables) r.fail(first, path + ".api_keys", "give api_keys or [[providers.keys]], not both");
  if (p.get("api_key")) r.fail(p.get("api_key"), path + ".api_key", "give one api_key, or several keys (api_keys / [[providers.keys]]), not both");
  if (out.type == ProviderType::bedrock || out.type == ProviderType::vertex) {
    r.fail(first, path + (list ? ".api_keys" : ".keys"), "several keys are for types openai, azure, anthropic and gemini");
  }
  auto add = [&](const toml::node& n, const std::string& where, ProviderKey key) {
    if (!n.is_string()) r.fail(&n, where, "must be a string");
    auto ex = expand_env(n.as_string()->get(), r.env());
    if (!ex.error.empty()) r.fail(&n, where, ex.error);
    if (!ex.missing.empty()) {
      unset.push_back(ex.missing.front());
      return;
    }
    for (const char c : ex.value) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) r.fail(&n, where, "must not contain control characters such as line breaks");
    }
    if (ex.value.empty()) r.fail(&n, where, "must not be empty");
    key.key = std::move(ex.value);
    out.keys.push_back(std::move(key));
  };
  std::size_t i = 0;
  if (list) {
    if (!list->is_array() || list->as_array()->empty()) r.fail(list, path + ".api_keys", "must be a non-empty array of strings");
    for (auto&& item : *list->as_array()) add(item, path + ".api_keys[" + std::to_string(i++) + "]", ProviderKey{});
  } else {
    for (auto&& node : *tables) {
      const std::string kp = path + ".keys[" + std::to_string(i++) + "]";
      const auto& t = *node.as_table();
      r.only_keys(t, kp, {"key", "weight", "limits"});
      ProviderKey key;
      if (auto w = r.number(t, kp, "weight", 0.001, 1'000'000.0)) key.weight = *w;
      key.limits = load_limits(r, t, kp);
      if (key.limits.concurrent) r.fail(t.get("limits"), kp + ".limits.concurrent", "is not a key's limit (requests and tokens per minute/hour/day are)");
      const toml::node* k = t.get("key");
      if (!k) r.fail(&t, kp + ".key", "is required");
      add(*k, kp + ".key", std::move(key));
    }
  }
  if (i > providers_max_keys()) r.fail(first, path, "at most " + std::to_string(providers_max_keys()) + " keys");
}

// Returns false (and records a warning) when the provider's secret is unset.
bool load_provider(const Reader& r, const toml::table& p, const std::string& path, ProviderConfig& out,
                   std::vector<std::string>& warnings) {
  r.only_keys(p, path,
              {"name", "type", "preset", "base_url", "api_key", "api_version", "ad_token", "responses", "headers", "tls_ca_file", "tls_verify", "connect_timeout_ms",
               "response_timeout_ms", "read_timeout_ms", "max_response_bytes", "health_check_interval_ms", "pool", "limits", "region",
               "access_key_id", "secret_access_key", "session_token", "project", "location", "credentials_file", "access_token",
               "api_keys", "keys", "key_cooldown_ms"});
  out.name = r.required_string(p, path, "name");
  if (out.name.find('/') != std::string::npos) r.fail(p.get("name"), path + ".name", "must not contain '/'");
  if (auto type = r.string(p, path, "type")) {
    const auto parsed = parse_provider_type(*type);
    if (!parsed) r.fail(p.get("type"), path + ".type", "unknown provider type \"" + *type + "\" (supported: openai, anthropic, gemini, azure, bedrock, vertex)");
    out.type = *parsed;
  }
  std::vector<std::string> missing;
  load_credentials(r, p, path, out, missing);
  bool pooled = false;
  std::vector<std::string> unset_keys;
  load_key_pool(r, p, path, out, pooled, unset_keys);
  if (pooled) {
    if (out.keys.empty()) missing.push_back(unset_keys.front());
    else {
      for (const auto& v : unset_keys) warnings.push_back("provider '" + out.name + "': a key left out: environment variable " + v + " is not set");
    }
  }
  r.millis(p, path, "key_cooldown_ms", out.key_cooldown);
  const std::string unusable = load_cloud(r, p, path, out, r.env());
  load_base_url(r, p, path, out);
  if (auto v = r.boolean(p, path, "responses")) {
    if (*v && out.type != ProviderType::openai && out.type != ProviderType::azure) {
      r.fail(p.get("responses"), path + ".responses", "only openai and azure providers speak the Responses API");
    }
    out.responses = *v;
  }
  if (auto v = r.string(p, path, "api_version")) {
    if (out.type != ProviderType::azure) r.fail(p.get("api_version"), path + ".api_version", "is for type \"azure\" only");
    if (v->empty() || v->find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") != std::string::npos) {
      r.fail(p.get("api_version"), path + ".api_version", "must be a dated version such as \"2024-10-21\" or \"v1\"");
    }
    out.api_version = *v;
  }
  load_headers(r, p, path, out);
  if (auto ca = r.string(p, path, "tls_ca_file")) out.tls_ca_file = *ca;
  if (auto v = r.boolean(p, path, "tls_verify")) out.tls_verify = *v;
  r.millis(p, path, "connect_timeout_ms", out.connect_timeout);
  r.millis(p, path, "response_timeout_ms", out.response_timeout);
  r.millis(p, path, "read_timeout_ms", out.read_timeout);
  r.size(p, path, "max_response_bytes", out.max_response_bytes);
  if (auto v = r.integer(p, path, "health_check_interval_ms", 0, 3'600'000)) out.health_check_interval = Millis(*v);
  load_pool(r, p, path, out.pool);
  out.limits = load_limits(r, p, path);  // the provider's own quota
  if (!missing.empty()) {
    warnings.push_back("provider '" + out.name + "' skipped: environment variable " + missing.front() +
                       " is not set");
    return false;
  }
  if (!unusable.empty()) {
    warnings.push_back("provider '" + out.name + "' skipped: " + unusable);
    return false;
  }
  if (out.credential_source.empty() && !out.api_key.empty()) out.credential_source = "api_key";
  if (!out.keys.empty()) out.credential_source = std::to_string(out.keys.size()) + " keys";
  return true;
}

// The providers; those whose secret is unset are skipped (named in `skipped`, with a warning).
void load_providers(const Reader& r, const toml::table& root, Config& cfg, std::set<std::string>& skipped) {
  const toml::array* ps = r.array_of_tables(root, "providers");
  if (!ps) return;
  std::size_t i = 0;
  for (auto&& node : *ps) {
    const std::string path = "providers[" + std::to_string(i++) + "]";
    ProviderConfig p;
    const bool usable = load_provider(r, *node.as_table(), path, p, cfg.warnings);
    for (const auto& q : cfg.providers) {
      if (q.name == p.name) r.fail(&node, path + ".name", "duplicate provider name \"" + p.name + "\"");
    }
    if (skipped.count(p.name)) r.fail(&node, path + ".name", "duplicate provider name \"" + p.name + "\"");
    if (usable) cfg.providers.push_back(std::move(p));
    else skipped.insert(p.name);
  }
}

bool provider_known(const Config& cfg, const std::string& name) {
  for (const auto& p : cfg.providers) {
    if (p.name == name) return true;
  }
  return false;
}

void load_routing(const Reader& r, const toml::table& root, Config& cfg, const std::set<std::string>& skipped) {
  const toml::table* routing = r.table(root, "", "routing");
  if (!routing) return;
  r.only_keys(*routing, "routing",
              {"default_provider", "attempts_per_target", "base_backoff_ms", "max_backoff_ms", "retry_budget_ms",
               "max_retry_after_ms", "breaker_failures", "breaker_error_rate", "breaker_min_requests",
               "breaker_window_ms", "breaker_cooldown_ms", "breaker_probes", "max_adhoc_targets"});
  auto& rc = cfg.resilience;
  if (auto v = r.integer(*routing, "routing", "attempts_per_target", 1, 10)) rc.attempts_per_target = static_cast<int>(*v);
  r.millis(*routing, "routing", "base_backoff_ms", rc.base_backoff);
  r.size(*routing, "routing", "max_adhoc_targets", rc.max_adhoc_targets, 0, 4096);
  r.millis(*routing, "routing", "max_backoff_ms", rc.max_backoff);
  r.millis(*routing, "routing", "retry_budget_ms", rc.retry_budget);
  r.millis(*routing, "routing", "max_retry_after_ms", rc.max_retry_after);
  if (auto v = r.integer(*routing, "routing", "breaker_failures", 1, 1000)) rc.breaker_failures = static_cast<int>(*v);
  if (auto v = r.number(*routing, "routing", "breaker_error_rate", 0.0, 1.0)) rc.breaker_error_rate = *v;
  if (auto v = r.integer(*routing, "routing", "breaker_min_requests", 1, 1'000'000)) rc.breaker_min_requests = static_cast<int>(*v);
  r.millis(*routing, "routing", "breaker_window_ms", rc.breaker_window);
  r.millis(*routing, "routing", "breaker_cooldown_ms", rc.breaker_cooldown);
  if (auto v = r.integer(*routing, "routing", "breaker_probes", 1, 1000)) rc.breaker_probes = static_cast<int>(*v);
  if (auto d = r.string(*routing, "routing", "default_provider")) {
    if (!provider_known(cfg, *d) && !skipped.count(*d)) {
      r.fail(routing->get("default_provider"), "routing.default_provider", "no provider named \"" + *d + "\"");
    }
    if (provider_known(cfg, *d)) cfg.default_provider = *d;
    else cfg.warnings.push_back("routing.default_provider '" + *d + "' is skipped: its provider is not enabled");
  }
}

TargetConfig load_target(const Reader& r, const toml::node& t, const std::string& tp) {
  if (!t.is_table()) r.fail(&t, tp, "must be a table { provider = \"...\", model = \"...\" }");
  const toml::table& tt = *t.as_table();
  r.only_keys(tt, tp, {"provider", "model", "weight", "input_price", "cached_input_price", "cache_write_price", "output_price", "tools",
                       "images", "embeddings", "max_context", "limits"});
  TargetConfig target;
  target.provider = r.required_string(tt, tp, "provider");
  target.model = r.required_string(tt, tp, "model");
  if (auto v = r.number(tt, tp, "weight", 0.0, 1e9)) target.weight = *v;
  if (auto v = r.number(tt, tp, "input_price", 0.0, 1e9)) target.input_price = *v;
  if (auto v = r.number(tt, tp, "output_price", 0.0, 1e9)) target.output_price = *v;
  if (auto v = r.number(tt, tp, "cached_input_price", 0.0, 1e9)) target.cached_input_price = *v;
  if (auto v = r.number(tt, tp, "cache_write_price", 0.0, 1e9)) target.cache_write_price = *v;
  if (auto v = r.boolean(tt, tp, "tools")) target.tools = *v;
  if (auto v = r.boolean(tt, tp, "images")) target.images = *v;
  if (auto v = r.boolean(tt, tp, "embeddings")) target.embeddings = *v;
  if (auto v = r.integer(tt, tp, "max_context", 0, 100'000'000)) target.max_context = static_cast<std::size_t>(*v);
  target.limits = load_limits(r, tt, tp);  // this model's quota at its provider
  return target;
}

// One route; false when none of its providers is enabled (skipped, with a warning).
bool load_route(const Reader& r, const toml::node& node, const std::string& path, Config& cfg, const std::set<std::string>& skipped,
                ModelRouteConfig& route) {
  const toml::table& m = *node.as_table();
  r.only_keys(m, path, {"name", "strategy", "targets", "ttft_timeout_ms", "stall_timeout_ms", "hedge_after_ms", "hedge_after_p95", "resume",
                        "cache", "cache_ttl_ms", "server_tools"});
  route.name = r.required_string(m, path, "name");
  for (const auto& q : cfg.models) {
    if (q.name == route.name) r.fail(&node, path + ".name", "duplicate model name \"" + route.name + "\"");
  }
  if (auto s = r.string(m, path, "strategy")) {
    const auto parsed = parse_strategy(*s);
    if (!parsed) {
      r.fail(m.get("strategy"), path + ".strategy",
             "unknown strategy \"" + *s + "\" (supported: failover, weighted, lowest-cost, lowest-latency, health)");
    }
    route.strategy = *parsed;
  }
  if (auto v = r.integer(m, path, "ttft_timeout_ms", 0, 3'600'000)) route.ttft_timeout = Millis(*v);
  if (auto v = r.integer(m, path, "stall_timeout_ms", 0, 3'600'000)) route.stall_timeout = Millis(*v);
  if (auto v = r.integer(m, path, "hedge_after_ms", 0, 3'600'000)) route.hedge_after = Millis(*v);
  if (auto v = r.boolean(m, path, "hedge_after_p95")) route.hedge_after_p95 = *v;
  if (auto v = r.boolean(m, path, "resume")) route.resume = *v;
  if (auto v = r.boolean(m, path, "cache")) route.cache = *v;
  if (auto v = r.boolean(m, path, "server_tools")) route.server_tools = *v;
  if (auto v = r.integer(m, path, "cache_ttl_ms", 1, 365LL * 24 * 3'600'000)) route.cache_ttl = Millis(*v);
  const toml::node* tn = m.get("targets");
  if (!tn || !tn->is_array() || tn->as_array()->empty()) {
    r.fail(tn ? tn : &node, path + ".targets", "must be a non-empty array of { provider, model } tables");
  }
  std::size_t j = 0;
  for (auto&& t : *tn->as_array()) {
    const std::string tp = path + ".targets[" + std::to_string(j++) + "]";
    TargetConfig target = load_target(r, t, tp);
    if (skipped.count(target.provider)) continue;
    if (!provider_known(cfg, target.provider)) r.fail(&t, tp + ".provider", "no provider named \"" + target.provider + "\"");
    if (!t.as_table()->contains("embeddings")) {  // Anthropic has no embeddings API
      for (const auto& p : cfg.providers) {
        if (p.name == target.provider && p.type == ProviderType::anthropic) target.embeddings = false;
      }
    }
    route.targets.push_back(std::move(target));
  }
  if (!route.targets.empty()) return true;
  cfg.warnings.push_back("model '" + route.name + "' skipped: none of its providers is enabled");
  return false;
}

void load_keys(const Reader& r, const toml::table& root, Config& cfg) {
  const toml::array* ks = r.array_of_tables(root, "keys");
  if (!ks) return;
  std::size_t i = 0;
  for (auto&& node : *ks) {
    const std::string path = "keys[" + std::to_string(i++) + "]";
    const toml::table& k = *node.as_table();
    r.only_keys(k, path, {"name", "key", "models", "limits", "budget", "server_tools", "team"});
    KeyConfig key;
    key.name = r.required_string(k, path, "name");
    if (auto v = r.boolean(k, path, "server_tools")) key.server_tools = *v;
    key.limits = load_limits(r, k, path);
    key.budget = load_budget(r, k, path);
    if (auto team = r.string(k, path, "team")) key.team = *team;
    std::vector<std::string> missing;
    auto secret = r.string(k, path, "key", &missing);
    key.models = r.string_list(k, path, "models");
    if (!missing.empty()) {
      cfg.warnings.push_back("key '" + key.name + "' skipped: environment variable " + missing.front() +
                             " is not set");
      continue;
    }
    if (!secret || secret->size() < 8) r.fail(k.get("key"), path + ".key", "is required and must be at least 8 characters");
    key.key = *secret;
    for (const auto& q : cfg.keys) {
      if (q.name == key.name) r.fail(&node, path + ".name", "duplicate key name \"" + key.name + "\"");
      if (q.key == key.key) r.fail(&node, path + ".key", "the same key is already used by \"" + q.name + "\"");
    }
    cfg.keys.push_back(std::move(key));
  }
}

// [[teams]]: name, models, budget, limits, user_limits (the limits' keys and budget_usd, period).
void load_teams(const Reader& r, const toml::table& root, Config& cfg) {
  const toml::array* ts = r.array_of_tables(root, "teams");
  if (!ts) return;
  std::size_t i = 0;
  for (auto&& node : *ts) {
    const std::string path = "teams[" + std::to_string(i++) + "]";
    const toml::table& t = *node.as_table();
    r.only_keys(t, path, {"name", "models", "limits", "budget", "user_limits"});
    TeamConfig team;
    team.name = r.required_string(t, path, "name");
    team.models = r.string_list(t, path, "models");
    team.limits = load_limits(r, t, path);
    team.budget = load_budget(r, t, path);
    if (const toml::table* u = r.table(t, path, "user_limits")) {
      const std::string up = path + ".user_limits";
      team.user_limits = read_limits(r, *u, up, {"budget_usd", "period"});
      if (auto usd = r.number(*u, up, "budget_usd", 0.000001, 1e12)) team.user_budget = BudgetConfig{*usd, read_period(r, *u, up)};
      else if (u->get("period")) r.fail(u->get("period"), up + ".period", "applies to budget_usd, which is not set");
    }
    for (const auto& q : cfg.teams) {
      if (q.name == team.name) r.fail(&node, path + ".name", "duplicate team name \"" + team.name + "\"");
    }
    cfg.teams.push_back(std::move(team));
  }
}

// [store]: where keys, teams and the ledger live.
void load_store(const Reader& r, const toml::table& root, StoreConfig& store) {
  const toml::table* st = r.table(root, "", "store");
  if (!st) return;
  r.only_keys(*st, "store", {"backend", "postgres_url", "spool_dir", "spool_max_bytes", "connect_timeout_ms", "poll_ms"});
  if (auto b = r.string(*st, "store", "backend")) {
    if (*b != "sqlite" && *b != "postgres") r.fail(st->get("backend"), "store.backend", "must be \"sqlite\" or \"postgres\"");
    store.backend = *b == "postgres" ? StoreBackend::postgres : StoreBackend::sqlite;
  }
  std::vector<std::string> missing;  // unset while backend = "sqlite": not needed
  if (auto u = r.string(*st, "store", "postgres_url", &missing); u && missing.empty()) store.postgres_url = *u;
  if (store.backend == StoreBackend::postgres && store.postgres_url.empty()) {
    r.fail(st, "store.postgres_url", missing.empty() ? "is required with backend = \"postgres\"" : "environment variable " + missing.front() + " is not set");
  }
  if (auto d = r.string(*st, "store", "spool_dir")) store.spool_dir = *d;
  r.size(*st, "store", "spool_max_bytes", store.spool_max_bytes, 1 << 20, std::int64_t(1) << 40);
  r.millis(*st, "store", "connect_timeout_ms", store.connect_timeout);
  if (auto v = r.integer(*st, "store", "poll_ms", 100, 60'000)) store.poll_interval = Millis(*v);
}

// [telemetry]: the OTLP trace exporter.
void load_telemetry(const Reader& r, const toml::table& root, TelemetryConfig& t) {
  const toml::table* tt = r.table(root, "", "telemetry");
  if (!tt) return;
  r.only_keys(*tt, "telemetry", {"otlp_endpoint", "service_name", "sample_ratio", "headers", "capture_content", "queue_spans", "batch_spans",
                                 "export_timeout_ms", "retry_ms"});
  if (auto e = r.string(*tt, "telemetry", "otlp_endpoint")) {
    t.otlp_endpoint = *e;
    while (t.otlp_endpoint.ends_with('/')) t.otlp_endpoint.pop_back();
    if (!t.otlp_endpoint.empty() && !t.otlp_endpoint.starts_with("http://") && !t.otlp_endpoint.starts_with("https://")) {
      r.fail(tt->get("otlp_endpoint"), "telemetry.otlp_endpoint", "must be an http:// or https:// URL (OTLP/HTTP), or \"\" for off");
    }
  }
  if (auto n = r.string(*tt, "telemetry", "service_name")) {
    if (n->empty()) r.fail(tt->get("service_name"), "telemetry.service_name", "must not be empty");
    t.service_name = *n;
  }
  if (auto v = r.number(*tt, "telemetry", "sample_ratio", 0.0, 1.0)) t.sample_ratio = *v;
  t.headers = read_headers(r, *tt, "telemetry");
  if (auto v = r.boolean(*tt, "telemetry", "capture_content")) t.capture_content = *v;
  r.size(*tt, "telemetry", "queue_spans", t.queue_spans, 16, 10'000'000);
  r.size(*tt, "telemetry", "batch_spans", t.batch_spans, 1, 100'000);
  r.millis(*tt, "telemetry", "export_timeout_ms", t.export_timeout);
  if (auto v = r.integer(*tt, "telemetry", "retry_ms", 10'000, 3'600'000)) t.retry_for = Millis(*v);
}

// [alerting] and [[alerts]]: rules over the health table, the governor and the ledger.
void load_alerting(const Reader& r, const toml::table& root, Config& cfg) {
  if (const toml::table* a = r.table(root, "", "alerting")) {
    r.only_keys(*a, "alerting", {"webhook_url", "format", "cooldown_s", "evaluate_ms", "webhook_attempts"});
    cfg.alerting.webhook_url = optional_secret(r, *a, "alerting", "webhook_url");  // an unset variable: not sent
    if (!cfg.alerting.webhook_url.empty() && !cfg.alerting.webhook_url.starts_with("http://") && !cfg.alerting.webhook_url.starts_with("https://")) {
      r.fail(a->get("webhook_url"), "alerting.webhook_url", "must be an http:// or https:// URL");
    }
    if (auto f = r.string(*a, "alerting", "format")) {
      if (*f != "slack" && *f != "json") r.fail(a->get("format"), "alerting.format", "must be \"slack\" or \"json\"");
      cfg.alerting.slack = *f == "slack";
    }
    if (auto v = r.integer(*a, "alerting", "cooldown_s", 0, 7 * 86'400)) cfg.alerting.cooldown_s = static_cast<int>(*v);
    if (auto v = r.integer(*a, "alerting", "evaluate_ms", 100, 3'600'000)) cfg.alerting.evaluate_every = Millis(*v);
    if (auto v = r.integer(*a, "alerting", "webhook_attempts", 1, 10)) cfg.alerting.webhook_attempts = static_cast<int>(*v);
  }
  const toml::array* rules = r.array_of_tables(root, "alerts");
  if (!rules) return;
  static constexpr std::pair<std::string_view, AlertKind> kinds[] = {
      {"error_rate", AlertKind::error_rate}, {"latency_p99", AlertKind::latency_p99}, {"ttft_p99", AlertKind::ttft_p99},
      {"circuit_open", AlertKind::circuit_open}, {"no_target", AlertKind::no_target}, {"budget", AlertKind::budget},
      {"quota", AlertKind::quota}, {"spend_rate", AlertKind::spend_rate}};
  std::size_t i = 0;
  for (auto&& node : *rules) {
    const std::string path = "alerts[" + std::to_string(i++) + "]";
    const toml::table& t = *node.as_table();
    r.only_keys(t, path, {"name", "kind", "threshold", "window_s", "selector"});
    AlertRule rule;
    rule.name = r.required_string(t, path, "name");
    const std::string kind = r.required_string(t, path, "kind");
    bool known = false;
    for (const auto& [n, k] : kinds) {
      if (n == kind) rule.kind = k, known = true;
    }
    if (!known) r.fail(t.get("kind"), path + ".kind", "must be one of error_rate, latency_p99, ttft_p99, circuit_open, no_target, budget, quota, spend_rate");
    auto threshold = r.number(t, path, "threshold", 0, 1e12);
    if (!threshold) r.fail(&t, path + ".threshold", "is required");
    rule.threshold = *threshold;
    if (auto v = r.integer(t, path, "window_s", 5, 31 * 86'400)) rule.window_s = static_cast<int>(*v);
    if (const toml::table* sel = r.table(t, path, "selector")) {
      r.only_keys(*sel, path + ".selector", {"provider", "route", "key", "team"});
      for (auto [k, out] : {std::pair{"provider", &rule.provider}, {"route", &rule.route}, {"key", &rule.key}, {"team", &rule.team}}) {
        if (auto v = r.string(*sel, path + ".selector", k)) *out = *v;
      }
    }
    for (const auto& other : cfg.alerts) {
      if (other.name == rule.name) r.fail(t.get("name"), path + ".name", "\"" + rule.name + "\" is used by another alert");
    }
    cfg.alerts.push_back(std::move(rule));
  }
}

// [auth.jwt]: an identity provider's tokens as bearers.
void load_auth(const Reader& r, const toml::table& root, AuthConfig& auth) {
  const toml::table* a = r.table(root, "", "auth");
  if (!a) return;
  r.only_keys(*a, "auth", {"jwt"});
  const toml::table* j = r.table(*a, "auth", "jwt");
  if (!j) return;
  const std::string jp = "auth.jwt";
  r.only_keys(*j, jp, {"issuer", "audience", "jwks_url", "jwks_file", "team_claim", "user_claim", "admin_claim", "admin_values",
                       "jwks_refresh_ms", "leeway_ms"});
  JwtConfig jwt;
  jwt.issuer = r.required_string(*j, jp, "issuer");
  jwt.audience = r.required_string(*j, jp, "audience");
  if (auto u = r.string(*j, jp, "jwks_url")) jwt.jwks_url = *u;
  if (auto f = r.string(*j, jp, "jwks_file")) jwt.jwks_file = *f;
  if (jwt.jwks_url.empty() == jwt.jwks_file.empty()) r.fail(j, jp + ".jwks_url", "give jwks_url or jwks_file (one of them)");
  if (!jwt.jwks_url.empty() && !jwt.jwks_url.starts_with("https://") && !jwt.jwks_url.starts_with("http://")) {
    r.fail(j->get("jwks_url"), jp + ".jwks_url", "must be an http:// or https:// URL");
  }
  if (auto c = r.string(*j, jp, "team_claim")) jwt.team_claim = *c;
  if (auto c = r.string(*j, jp, "user_claim")) jwt.user_claim = *c;
  if (auto c = r.string(*j, jp, "admin_claim")) jwt.admin_claim = *c;
  jwt.admin_values = r.string_list(*j, jp, "admin_values");
  if (jwt.admin_claim.empty() != jwt.admin_values.empty()) r.fail(j, jp + ".admin_claim", "admin_claim and admin_values go together");
  if (auto v = r.integer(*j, jp, "jwks_refresh_ms", 10'000, 86'400'000)) jwt.jwks_refresh = Millis(*v);
  if (auto v = r.integer(*j, jp, "leeway_ms", 0, 600'000)) jwt.leeway = Millis(*v);
  auth.jwt = std::move(jwt);
}

// A budget is spent in dollars: without any price, nothing would ever count against it.
void warn_unpriced_budgets(Config& cfg) {
  bool priced = false;
  for (const auto& m : cfg.models) {
    for (const auto& t : m.targets) priced = priced || t.input_price > 0 || t.output_price > 0;
  }
  if (priced) return;
  for (const auto& k : cfg.keys) {
    if (k.budget) cfg.warnings.push_back("key '" + k.name + "' has a budget, but no route target has a price: its spend will stay $0");
  }
}

Config load(const Reader& r, const toml::table& root) {
  Config cfg;
  r.only_keys(root, "", {"server", "routing", "providers", "models", "keys", "teams", "usage", "cache", "state", "store", "auth", "telemetry", "alerting", "alerts"});
  if (const toml::table* st = r.table(root, "", "state")) {
    r.only_keys(*st, "state", {"backend", "redis_url", "redis_timeout_ms", "health_check_ms", "on_redis_error", "key_prefix"});
    if (auto b = r.string(*st, "state", "backend")) {
      if (*b != "memory" && *b != "redis") r.fail(st->get("backend"), "state.backend", "must be \"memory\" or \"redis\"");
      cfg.state.backend = *b == "redis" ? StateBackend::redis : StateBackend::memory;
    }
    if (auto u = r.string(*st, "state", "redis_url")) cfg.state.redis_url = *u;
    if (auto v = r.integer(*st, "state", "redis_timeout_ms", 1, 10'000)) cfg.state.redis_timeout = Millis(*v);
    if (auto v = r.integer(*st, "state", "health_check_ms", 100, 60'000)) cfg.state.health_check_interval = Millis(*v);
    if (auto e = r.string(*st, "state", "on_redis_error")) {
      if (*e != "local" && *e != "deny") r.fail(st->get("on_redis_error"), "state.on_redis_error", "must be \"local\" or \"deny\"");
      cfg.state.deny_on_redis_error = *e == "deny";
    }
    if (auto k = r.string(*st, "state", "key_prefix")) cfg.state.key_prefix = *k;
  }
  if (const toml::table* c = r.table(root, "", "cache")) {
    r.only_keys(*c, "cache", {"enabled", "max_bytes", "ttl_ms", "scope"});
    if (auto v = r.boolean(*c, "cache", "enabled")) cfg.cache.enabled = *v;
    r.size(*c, "cache", "max_bytes", cfg.cache.max_bytes, 1024, std::int64_t(1) << 40);
    if (auto v = r.integer(*c, "cache", "ttl_ms", 1, 365LL * 24 * 3'600'000)) cfg.cache.ttl = Millis(*v);
    if (auto scope = r.string(*c, "cache", "scope")) {
      if (*scope != "key" && *scope != "global") r.fail(c->get("scope"), "cache.scope", "must be \"key\" or \"global\"");
      cfg.cache.per_key = *scope == "key";
    }
  }
  load_server(r, root, cfg.server);
  if (const toml::table* u = r.table(root, "", "usage")) {
    r.only_keys(*u, "usage", {"path", "retention_days", "queue_rows", "memory_rows"});
    if (auto path = r.string(*u, "usage", "path")) cfg.usage.path = *path;
    if (auto v = r.integer(*u, "usage", "retention_days", 1, 36'500)) cfg.usage.retention_days = static_cast<int>(*v);
    r.size(*u, "usage", "queue_rows", cfg.usage.queue_rows, 16, 10'000'000);
    r.size(*u, "usage", "memory_rows", cfg.usage.memory_rows, 1'000, 100'000'000);
  }
  std::set<std::string> skipped;
  load_providers(r, root, cfg, skipped);
  load_routing(r, root, cfg, skipped);
  if (const toml::array* ms = r.array_of_tables(root, "models")) {
    std::size_t i = 0;
    for (auto&& node : *ms) {
      ModelRouteConfig route;
      if (load_route(r, node, "models[" + std::to_string(i++) + "]", cfg, skipped, route)) cfg.models.push_back(std::move(route));
    }
  }
  load_teams(r, root, cfg);
  load_keys(r, root, cfg);
  load_store(r, root, cfg.store);
  load_auth(r, root, cfg.auth);
  load_telemetry(r, root, cfg.telemetry);
  load_alerting(r, root, cfg);
  warn_unpriced_budgets(cfg);
  // What no single key shows (and what a hand-built config must pass too).
  if (auto problem = validate(cfg)) throw LoadError(r.source() + ": " + *problem);
  return cfg;
}

}  // namespace

LoadResult load_config_string(std::string_view text, const std::string& source_name, const EnvLookup& env) {
  Reader reader(source_name, env);
  try {
    toml::table root = toml::parse(text, source_name);
    return load(reader, root);
  } catch (const toml::parse_error& e) {
    std::ostringstream os;
    os << source_name << ':' << e.source().begin.line << ": " << e.description();
    return boost::system::result<Config, std::string>(boost::system::in_place_error, os.str());
  } catch (const LoadError& e) {
    return boost::system::result<Config, std::string>(boost::system::in_place_error, e.what());
  }
}

namespace {
// The file's SHA-256 as `sha256sum` prints it: /health shows it, so an operator can tell which file a replica runs.
std::string sha256_hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha256(), nullptr);
  return text::to_hex(digest, size);
}
}  // namespace

LoadResult load_config_file(const std::string& path, const EnvLookup& env) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return boost::system::result<Config, std::string>(boost::system::in_place_error,
                                                     path + ": cannot open the config file");
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  auto loaded = load_config_string(text, path, env);
  if (loaded) loaded->source_hash = sha256_hex(text);
  return loaded;
}

}  // namespace switchyard::config
