#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>

#include "config/config_diff.hpp"
#include "config/config_loader.hpp"

using namespace switchyard;
using namespace switchyard::config;

namespace {

EnvLookup env(std::map<std::string, std::string> vars = {}) {
  return [vars](const std::string& k) -> std::optional<std::string> {
    auto it = vars.find(k);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

const char* kValid = R"(
[server]
listen = "0.0.0.0:9000"
max_body_bytes = 1024
idle_timeout_ms = 5000
access_log = false

[routing]
default_provider = "oai"

[[providers]]
name = "oai"
type = "openai"
base_url = "https://api.openai.com/v1"
api_key = "${OPENAI_API_KEY}"
headers = { "X-Title" = "Switchyard" }
connect_timeout_ms = 1500
[providers.pool]
max_connections = 8

[[providers]]
name = "or"
base_url = "https://openrouter.ai/api/v1"
api_key = "${OPENROUTER_API_KEY}"

[[models]]
name = "fast"
strategy = "failover"
targets = [ { provider = "oai", model = "gpt-4o-mini" }, { provider = "or", model = "openai/gpt-4o-mini" } ]

[[keys]]
name = "team-a"
key = "${TEAM_A_KEY}"
models = ["fast", "oai/*"]
)";

// Expects a load error containing every fragment.
void expect_error(const std::string& toml, std::initializer_list<std::string> fragments,
                  std::map<std::string, std::string> vars = {{"K", "k-123456789"}}) {
  auto r = load_config_string(toml, "test.toml", env(vars));
  BOOST_REQUIRE_MESSAGE(!r, "expected an error for:\n" << toml);
  for (const auto& f : fragments) {
    BOOST_TEST_CONTEXT("error: " << r.error()) { BOOST_TEST(r.error().find(f) != std::string::npos); }
  }
}

const char* kProvider = R"(
[[providers]]
name = "p"
base_url = "http://127.0.0.1:1/v1"
)";

}  // namespace

BOOST_AUTO_TEST_CASE(loads_every_section_with_env_secrets) {
  auto r = load_config_string(kValid, "test.toml",
                              env({{"OPENAI_API_KEY", "sk-oai"}, {"OPENROUTER_API_KEY", "sk-or"}, {"TEAM_A_KEY", "team-a-secret"}}));
  BOOST_REQUIRE_MESSAGE(r, (r ? "" : r.error()));
  const Config& c = *r;
  BOOST_TEST(c.server.host == "0.0.0.0");
  BOOST_TEST(c.server.port == 9000);
  BOOST_TEST(c.server.max_body_bytes == 1024u);
  BOOST_TEST(c.server.idle_timeout.count() == 5000);
  BOOST_TEST(c.server.request_timeout.count() == 30000);  // default kept
  BOOST_TEST(!c.server.access_log);
  BOOST_REQUIRE(c.providers.size() == 2u);
  BOOST_TEST(c.providers[0].api_key == "sk-oai");
  BOOST_TEST(c.providers[0].connect_timeout.count() == 1500);
  BOOST_TEST(c.providers[0].pool.max_connections == 8u);
  BOOST_TEST(c.providers[0].pool.queue_timeout.count() == 5000);  // default kept
  BOOST_REQUIRE(c.providers[0].headers.size() == 1u);
  BOOST_TEST(c.providers[0].headers[0].first == "X-Title");
  BOOST_TEST((c.providers[1].type == ProviderType::openai));  // default type
  BOOST_REQUIRE(c.models.size() == 1u);
  BOOST_TEST(c.models[0].targets.size() == 2u);
  BOOST_TEST(c.default_provider == "oai");
  BOOST_REQUIRE(c.keys.size() == 1u);
  BOOST_TEST(c.keys[0].key == "team-a-secret");
  BOOST_TEST(c.keys[0].models.size() == 2u);
  BOOST_TEST(c.warnings.empty());
}

BOOST_AUTO_TEST_CASE(providers_without_their_key_are_skipped_with_one_warning_each) {
  auto r = load_config_string(kValid, "test.toml", env({{"OPENROUTER_API_KEY", "sk-or"}, {"TEAM_A_KEY", "team-a-secret"}}));
  BOOST_REQUIRE_MESSAGE(r, (r ? "" : r.error()));
  BOOST_REQUIRE(r->providers.size() == 1u);
  BOOST_TEST(r->providers[0].name == "or");
  BOOST_TEST(r->models[0].targets.size() == 1u);  // the oai target is dropped
  BOOST_TEST(r->default_provider.empty());
  bool warned = false;
  for (const auto& w : r->warnings) warned = warned || w.find("'oai' skipped: environment variable OPENAI_API_KEY") != std::string::npos;
  BOOST_TEST(warned);
}

BOOST_AUTO_TEST_CASE(a_route_whose_providers_are_all_skipped_is_dropped) {
  auto r = load_config_string(kValid, "test.toml", env({{"TEAM_A_KEY", "team-a-secret"}}));
  BOOST_REQUIRE(r);
  BOOST_TEST(r->models.empty());
  BOOST_TEST(r->providers.empty());
}

BOOST_AUTO_TEST_CASE(a_key_whose_secret_is_unset_is_skipped) {
  auto r = load_config_string(kValid, "test.toml", env({{"OPENAI_API_KEY", "x"}}));
  BOOST_REQUIRE(r);
  BOOST_TEST(r->keys.empty());
}

BOOST_AUTO_TEST_CASE(an_unknown_key_is_an_error_naming_file_line_and_key) {
  expect_error("[server]\nlisten = \"127.0.0.1:1\"\nlisen = \"x\"\n", {"test.toml:3", "server.lisen", "unknown key"});
  expect_error(std::string(kProvider) + "timeout = 5\n", {"test.toml:5", "providers[0].timeout", "unknown key"});
  expect_error("[surver]\n", {"test.toml:1", "surver", "unknown key"});
}

BOOST_AUTO_TEST_CASE(wrong_types_and_values_are_errors) {
  expect_error("[server]\nmax_body_bytes = \"big\"\n", {"test.toml:2", "server.max_body_bytes", "integer"});
  expect_error("[server]\nlisten = \"nohostport\"\n", {"server.listen", "host:port"});
  expect_error("[server]\nlisten = \"127.0.0.1:99999\"\n", {"server.listen", "port"});
  expect_error("[server]\nidle_timeout_ms = 0\n", {"server.idle_timeout_ms", "between"});
  expect_error("[[providers]]\nname = \"p\"\nbase_url = \"ftp://x\"\n", {"test.toml:3", "providers[0].base_url", "http"});
  expect_error("[[providers]]\nname = \"p\"\ntype = \"magic\"\nbase_url = \"http://x\"\n", {"providers[0].type", "magic"});
  expect_error("[[providers]]\nbase_url = \"http://x\"\n", {"providers[0].name", "required"});
  expect_error("[server]\naccess_log_format = \"xml\"\n", {"test.toml:2", "server.access_log_format", "logfmt"});
  expect_error("[usage]\nmemory_rows = 10\n", {"usage.memory_rows", "between"});
}

BOOST_AUTO_TEST_CASE(the_access_log_format_and_the_in_memory_ledger_bound_are_read) {
  auto r = load_config_string("[server]\naccess_log_format = \"json\"\n[usage]\npath = \"\"\nmemory_rows = 5000\n", "test.toml", env({}));
  BOOST_REQUIRE(r);
  BOOST_TEST(r->server.access_log_json);
  BOOST_TEST(r->usage.memory_rows == 5000u);
  auto d = load_config_string("[server]\naccess_log_format = \"logfmt\"\n", "test.toml", env({}));
  BOOST_REQUIRE(d);
  BOOST_TEST(!d->server.access_log_json);
}

BOOST_AUTO_TEST_CASE(references_must_resolve) {
  expect_error(std::string(kProvider) + "[[models]]\nname = \"m\"\ntargets = [ { provider = \"nope\", model = \"x\" } ]\n",
               {"models[0].targets[0].provider", "nope"});
  expect_error(std::string(kProvider) + "[routing]\ndefault_provider = \"nope\"\n", {"routing.default_provider", "nope"});
  expect_error(std::string(kProvider) + "[[models]]\nname = \"m\"\nstrategy = \"random\"\ntargets = [ { provider = \"p\", model = \"x\" } ]\n",
               {"models[0].strategy", "random"});
  expect_error(std::string(kProvider) + "[[models]]\nname = \"m\"\ntargets = []\n", {"models[0].targets", "non-empty"});
}

BOOST_AUTO_TEST_CASE(duplicates_are_errors) {
  expect_error(std::string(kProvider) + kProvider, {"providers[1].name", "duplicate"});
  expect_error("[[keys]]\nname = \"a\"\nkey = \"${K}\"\n[[keys]]\nname = \"b\"\nkey = \"${K}\"\n", {"keys[1].key", "already used"});
}

BOOST_AUTO_TEST_CASE(short_keys_are_refused) {
  expect_error("[[keys]]\nname = \"a\"\nkey = \"short\"\n", {"keys[0].key", "at least 8"});
}

BOOST_AUTO_TEST_CASE(toml_syntax_errors_give_the_line) {
  expect_error("[server]\nlisten = \n", {"test.toml:2"});
}

BOOST_AUTO_TEST_CASE(a_missing_file_is_a_clear_error) {
  auto r = load_config_file("/nonexistent/switchyard.toml", env());
  BOOST_REQUIRE(!r);
  BOOST_TEST(r.error().find("cannot open") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_shipped_configs_are_valid) {
  for (const char* path : {"conf/switchyard.toml", "conf/examples/mock-only.toml"}) {
    auto r = load_config_file(std::string(SWITCHYARD_SOURCE_DIR) + "/" + path, env({{"SWITCHYARD_KEY", "sy-0123456789"}}));
    BOOST_TEST_CONTEXT(path) { BOOST_TEST(r.has_value(), (r ? "" : r.error())); }
  }
  // The Azure example: with a key, both providers; with only a token, the token is used.
  const std::string azure = std::string(SWITCHYARD_SOURCE_DIR) + "/conf/examples/azure.toml";
  auto with_key = load_config_file(azure, env({{"AZURE_OPENAI_RESOURCE", "res"}, {"AZURE_OPENAI_API_KEY", "k-1"}}));
  BOOST_REQUIRE_MESSAGE(with_key, (with_key ? "" : with_key.error()));
  BOOST_TEST(with_key->providers.size() == 2u);
  BOOST_TEST(with_key->providers[0].base_url == "https://res.openai.azure.com");
  BOOST_TEST(with_key->providers[1].api_version == "v1");
  BOOST_TEST(with_key->providers[1].ad_token.empty());
  auto with_token = load_config_file(azure, env({{"AZURE_OPENAI_RESOURCE", "res"}, {"AZURE_OPENAI_AD_TOKEN", "tok"}}));
  BOOST_REQUIRE_MESSAGE(with_token, (with_token ? "" : with_token.error()));
  BOOST_TEST(with_token->providers.size() == 1u);  // "azure" needs its key: skipped with a warning
  BOOST_TEST(with_token->providers[0].ad_token == "tok");
}

BOOST_AUTO_TEST_CASE(the_cache_section_and_the_routes_that_cache_are_read) {
  auto r = load_config_string(R"(
[cache]
enabled = true
max_bytes = 1048576
ttl_ms = 60000
scope = "global"
[[providers]]
name = "p"
base_url = "http://127.0.0.1:9/v1"
[[models]]
name = "cached"
cache = true
cache_ttl_ms = 5000
targets = [ { provider = "p", model = "m" } ]
[[models]]
name = "plain"
targets = [ { provider = "p", model = "m" } ]
)", "test.toml", env());
  BOOST_REQUIRE_MESSAGE(r, (r ? "" : r.error()));
  BOOST_TEST(r->cache.enabled);
  BOOST_TEST(r->cache.max_bytes == 1048576u);
  BOOST_TEST(r->cache.ttl.count() == 60000);
  BOOST_TEST(!r->cache.per_key);
  BOOST_TEST(r->models[0].cache);
  BOOST_TEST(r->models[0].cache_ttl.count() == 5000);
  BOOST_TEST(!r->models[1].cache);
  auto defaults = load_config_string("", "test.toml", env());
  BOOST_REQUIRE(defaults);
  BOOST_TEST(!defaults->cache.enabled);  // off unless asked
  BOOST_TEST(defaults->cache.max_bytes == 256u * 1024 * 1024);
  BOOST_TEST(defaults->cache.per_key);
  expect_error("[cache]\nscope = \"everyone\"\n", {"cache.scope", "\"key\" or \"global\""});
  expect_error("[cache]\nmax_bytes = 10\n", {"cache.max_bytes"});
  expect_error("[cache]\nsize = 10\n", {"cache.size", "unknown key"});
}

BOOST_AUTO_TEST_CASE(the_state_section_is_read_and_checked) {
  auto r = load_config_string("[state]\nbackend = \"memory\"\nredis_timeout_ms = 20\non_redis_error = \"deny\"\nkey_prefix = \"sy:\"\n", "test.toml", env());
  BOOST_REQUIRE_MESSAGE(r, (r ? "" : r.error()));
  BOOST_TEST((r->state.backend == StateBackend::memory));
  BOOST_TEST(r->state.redis_timeout.count() == 20);
  BOOST_TEST(r->state.deny_on_redis_error);
  BOOST_TEST(r->state.key_prefix == "sy:");
  auto defaults = load_config_string("", "test.toml", env());
  BOOST_TEST(defaults->state.redis_timeout.count() == 50);
  BOOST_TEST(!defaults->state.deny_on_redis_error);
  expect_error("[state]\nbackend = \"etcd\"\n", {"state.backend", "\"memory\" or \"redis\""});
  expect_error("[state]\non_redis_error = \"retry\"\n", {"state.on_redis_error"});
  expect_error("[state]\nbackend = \"redis\"\nredis_url = \"rediss://r:6380\"\n", {"state.redis_url", "TLS"});
  expect_error("[state]\nbackend = \"redis\"\nredis_url = \"redis://r:6379/42\"\n", {"state.redis_url", "0 to 15"});
  auto redis = load_config_string("[state]\nbackend = \"redis\"\nredis_url = \"redis://:pw@cache:6380/3\"\n", "test.toml", env());
  BOOST_REQUIRE_MESSAGE(redis, (redis ? "" : redis.error()));
  BOOST_TEST((redis->state.backend == StateBackend::redis));
}

BOOST_AUTO_TEST_CASE(base_urls_as_vendors_sdks_take_them_get_the_api_path) {
  auto r = load_config_string(R"(
[[providers]]
name = "claude"
type = "anthropic"
base_url = "https://api.anthropic.com"
[[providers]]
name = "claude2"
type = "anthropic"
base_url = "https://proxy.example/anthropic/v1/"
[[providers]]
name = "g"
type = "gemini"
base_url = "https://generativelanguage.googleapis.com/"
[[providers]]
name = "az"
type = "azure"
base_url = "https://res.openai.azure.com/openai/"
api_version = "2025-04-01-preview"
)", "test.toml", env());
  BOOST_REQUIRE_MESSAGE(r, (r ? "" : r.error()));
  BOOST_TEST(r->providers[0].base_url == "https://api.anthropic.com/v1");
  BOOST_TEST(r->providers[1].base_url == "https://proxy.example/anthropic/v1");  // a path is kept as given
  BOOST_TEST(r->providers[2].base_url == "https://generativelanguage.googleapis.com/v1beta");
  BOOST_TEST(r->providers[3].base_url == "https://res.openai.azure.com");
  BOOST_TEST(r->providers[3].api_version == "2025-04-01-preview");
  expect_error("[[providers]]\nname = \"x\"\nbase_url = \"http://h\"\napi_version = \"v1\"\n", {"providers[0].api_version", "azure"});
  expect_error("[[providers]]\nname = \"x\"\ntype = \"azure\"\nbase_url = \"http://h\"\napi_version = \"2024/10\"\n", {"providers[0].api_version", "dated version"});
  expect_error("[[providers]]\nname = \"x\"\nbase_url = \"http://h\"\nad_token = \"t\"\n", {"providers[0].ad_token", "azure"});
}

BOOST_AUTO_TEST_CASE(anthropic_targets_serve_no_embeddings_unless_told) {
  auto r = load_config_string(R"(
[[providers]]
name = "claude"
type = "anthropic"
base_url = "http://127.0.0.1:9/v1"
[[providers]]
name = "oai"
base_url = "http://127.0.0.1:9/v1"
[[models]]
name = "m"
targets = [ { provider = "claude", model = "c" }, { provider = "oai", model = "o" }, { provider = "oai", model = "chat-only", embeddings = false },
            { provider = "claude", model = "proxy", embeddings = true } ]
)", "test.toml", env());
  BOOST_REQUIRE_MESSAGE(r, (r ? "" : r.error()));
  const auto& t = r->models.at(0).targets;
  BOOST_TEST(!t.at(0).embeddings);
  BOOST_TEST(t.at(1).embeddings);
  BOOST_TEST(!t.at(2).embeddings);
  BOOST_TEST(t.at(3).embeddings);  // said explicitly
}

BOOST_AUTO_TEST_CASE(presets_fill_the_base_url) {
  auto r = load_config_string(R"(
[[providers]]
name = "or"
preset = "openrouter"
[[providers]]
name = "claude"
type = "anthropic"
preset = "anthropic"
[[providers]]
name = "own"
preset = "groq"
base_url = "http://127.0.0.1:9/v1"
[[providers]]
name = "google"
type = "gemini"
preset = "gemini"
)", "test.toml", env());
  BOOST_REQUIRE_MESSAGE(r, (r ? "" : r.error()));
  BOOST_TEST(r->providers[0].base_url == "https://openrouter.ai/api/v1");
  BOOST_TEST(r->providers[1].base_url == "https://api.anthropic.com/v1");
  BOOST_TEST(r->providers[2].base_url == "http://127.0.0.1:9/v1");  // an explicit base_url wins
  BOOST_TEST(r->providers[3].base_url == "https://generativelanguage.googleapis.com/v1beta");
  BOOST_TEST((r->providers[3].type == ProviderType::gemini));
  expect_error("[[providers]]\nname = \"x\"\npreset = \"nope\"\n", {"providers[0].preset", "nope"});
  expect_error("[[providers]]\nname = \"x\"\npreset = \"anthropic\"\n", {"providers[0].preset", "is for type \"anthropic\", not \"openai\""});
  expect_error("[[providers]]\nname = \"x\"\ntype = \"gemini\"\npreset = \"openrouter\"\n", {"providers[0].preset", "not \"gemini\""});
  expect_error("[[providers]]\nname = \"x\"\ntype = \"nope\"\n", {"providers[0].type", "supported: openai, anthropic, gemini, azure, bedrock, vertex"});
  expect_error("[[providers]]\nname = \"x\"\n", {"providers[0].base_url", "required"});
}

BOOST_AUTO_TEST_CASE(a_provider_key_or_header_with_a_line_break_is_a_config_error_that_does_not_print_it) {
  const std::string cfg = "[[providers]]\nname = \"p\"\nbase_url = \"https://x.example/v1\"\napi_key = \"${K}\"\n";
  auto r = load_config_string(cfg, "t.toml", env({{"K", "sk-secret-part1\r\nX-Evil: 1"}}));
  BOOST_REQUIRE(!r);
  BOOST_TEST(r.error().find("api_key") != std::string::npos);
  BOOST_TEST(r.error().find("control characters") != std::string::npos);
  BOOST_TEST(r.error().find("sk-secret") == std::string::npos);
  auto h = load_config_string("[[providers]]\nname = \"p\"\nbase_url = \"https://x.example/v1\"\nheaders = { \"X-A\" = \"a\\nb\" }\n",
                              "t.toml", env());
  BOOST_REQUIRE(!h);
  BOOST_TEST(h.error().find("headers.X-A") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_hardening_bounds_are_read_and_checked) {
  auto r = load_config_string("[server]\njson_memory_factor = 4\nmax_json_memory_bytes = 2097152\n[routing]\nmax_adhoc_targets = 7\n",
                              "t.toml", env());
  BOOST_REQUIRE(r);
  BOOST_TEST(r->server.json_memory_factor == 4u);
  BOOST_TEST(r->server.max_json_memory_bytes == 2097152u);
  BOOST_TEST(r->resilience.max_adhoc_targets == 7u);
  BOOST_TEST(!load_config_string("[server]\njson_memory_factor = 0\n", "t.toml", env()));
}

// validate(): the same checks for a config an embedder builds by hand.
namespace {
Config hand_built() {
  Config c;
  ProviderConfig p;
  p.name = "oai";
  p.base_url = "http://127.0.0.1:9/v1";
  c.providers.push_back(p);
  ModelRouteConfig m;
  m.name = "fast";
  m.targets = {TargetConfig{"oai", "gpt-4o-mini"}};
  c.models.push_back(m);
  c.keys.push_back(KeyConfig{"team-a", "sk-team-a-key", {}});
  return c;
}
}  // namespace

BOOST_AUTO_TEST_CASE(a_hand_built_config_is_validated_as_the_loader_validates) {
  BOOST_TEST(!validate(hand_built()).has_value());
  struct Case {
    const char* what;
    std::function<void(Config&)> change;
    const char* expected;
  };
  const std::vector<Case> cases = {
      {"strategy out of range", [](Config& c) { c.models[0].strategy = static_cast<Strategy>(42); }, "models[fast].strategy"},
      {"provider type out of range", [](Config& c) { c.providers[0].type = static_cast<ProviderType>(9); }, "providers[oai].type"},
      {"unknown target provider", [](Config& c) { c.models[0].targets[0].provider = "oai2"; }, "no provider named \"oai2\""},
      {"duplicate provider", [](Config& c) { c.providers.push_back(c.providers[0]); }, "duplicate provider name"},
      {"duplicate route", [](Config& c) { c.models.push_back(c.models[0]); }, "duplicate model name"},
      {"empty targets", [](Config& c) { c.models[0].targets.clear(); }, "models[fast].targets"},
      {"short key", [](Config& c) { c.keys[0].key = "short"; }, "keys[team-a].key"},
      {"same key twice", [](Config& c) { c.keys.push_back(KeyConfig{"team-b", "sk-team-a-key", {}}); }, "the same key"},
      {"bad base_url", [](Config& c) { c.providers[0].base_url = "ftp://x"; }, "providers[oai].base_url"},
      {"line break in a header value", [](Config& c) { c.providers[0].headers.push_back({"x-org", "a\r\nb"}); }, "control characters"},
      {"zero attempts", [](Config& c) { c.resilience.attempts_per_target = 0; }, "routing.attempts_per_target"},
      {"unknown default provider", [](Config& c) { c.default_provider = "nope"; }, "routing.default_provider"},
      {"zero body limit", [](Config& c) { c.server.max_body_bytes = 0; }, "server.max_body_bytes"},
      // Names go whole into ledger rows, metric labels, Redis keys and log lines: a key name past
      // the ledger's 64 bytes was cut there (its usage read $0, its spent budget reset at a restart).
      {"key name too long", [](Config& c) { c.keys[0].name = std::string(65, 'k'); }, "keys[" },
      {"key name with a space", [](Config& c) { c.keys[0].name = "team a"; }, "may hold only"},
      {"key name with a newline", [](Config& c) { c.keys[0].name = "team\nlevel=error"; }, "may hold only"},
      {"provider name too long", [](Config& c) {
         c.providers[0].name = std::string(65, 'p');
         c.models[0].targets[0].provider = c.providers[0].name;
       }, "1 to 64 bytes"},
      {"route name with a quote", [](Config& c) { c.models[0].name = "fa\"st"; }, "may hold only"},
  };
  for (const auto& k : cases) {
    BOOST_TEST_CONTEXT(k.what) {
      Config c = hand_built();
      k.change(c);
      const auto problem = validate(c);
      BOOST_REQUIRE(problem.has_value());
      BOOST_TEST(problem->find(k.expected) != std::string::npos, *problem);
    }
  }
}

BOOST_AUTO_TEST_CASE(enum_names_round_trip) {
  for (auto s : {Strategy::failover, Strategy::weighted, Strategy::lowest_cost, Strategy::lowest_latency, Strategy::health}) {
    BOOST_TEST((parse_strategy(to_string(s)) == s));
  }
  for (auto t : {ProviderType::openai, ProviderType::anthropic, ProviderType::gemini, ProviderType::azure, ProviderType::bedrock, ProviderType::vertex}) {
    BOOST_TEST((parse_provider_type(to_string(t)) == t));
  }
  BOOST_TEST(!parse_strategy("lowest_cost").has_value());  // the TOML spelling is lowest-cost
  BOOST_TEST(!parse_provider_type("aws").has_value());
}

BOOST_AUTO_TEST_CASE(key_limits_and_budgets_load_as_a_subtable_or_inline) {
  const std::string base = std::string(kProvider) +
                           "[[models]]\nname = \"m\"\ntargets = [ { provider = \"p\", model = \"x\", input_price = 0.15, "
                           "cached_input_price = 0.075, cache_write_price = 0.2, output_price = 0.6 } ]\n";
  auto sub = load_config_string(base + "[[keys]]\nname = \"team-a\"\nkey = \"${K}\"\nbudget = { usd = 25.0, period = \"week\" }\n"
                                       "[keys.limits]\nrequests_per_minute = 60\nrequests_per_hour = 2000\nrequests_per_day = 20000\n"
                                       "tokens_per_minute = 100000\ntokens_per_hour = 2000000\ntokens_per_day = 10000000\nconcurrent = 8\n",
                                "test.toml", env({{"K", "k-123456789"}}));
  BOOST_REQUIRE_MESSAGE(sub, sub.error());
  const auto& k = sub->keys.at(0);
  BOOST_TEST(k.limits.requests_per_minute == 60u);
  BOOST_TEST(k.limits.requests_per_hour == 2000u);
  BOOST_TEST(k.limits.requests_per_day == 20000u);
  BOOST_TEST(k.limits.tokens_per_minute == 100000u);
  BOOST_TEST(k.limits.tokens_per_hour == 2000000u);
  BOOST_TEST(k.limits.tokens_per_day == 10000000u);
  BOOST_TEST(k.limits.concurrent == 8u);
  BOOST_REQUIRE(k.budget.has_value());
  BOOST_TEST(k.budget->usd == 25.0);
  BOOST_TEST((k.budget->period == BudgetPeriod::week));
  BOOST_TEST(*sub->models[0].targets[0].cached_input_price == 0.075);
  BOOST_TEST(*sub->models[0].targets[0].cache_write_price == 0.2);

  auto inl = load_config_string(base + "[[keys]]\nname = \"b\"\nkey = \"${K}\"\nlimits = { requests_per_minute = 5, concurrent = 2 }\n",
                                "test.toml", env({{"K", "k-123456789"}}));
  BOOST_REQUIRE_MESSAGE(inl, inl.error());
  BOOST_TEST(inl->keys[0].limits.requests_per_minute == 5u);
  BOOST_TEST(inl->keys[0].limits.tokens_per_day == 0u);  // missing = no limit
  BOOST_TEST(!inl->keys[0].budget.has_value());
}

BOOST_AUTO_TEST_CASE(bad_limits_and_budgets_are_named_with_file_and_line) {
  const std::string key = std::string(kProvider) + "[[keys]]\nname = \"a\"\nkey = \"${K}\"\n";
  expect_error(key + "limits = { requests_per_minute = -1 }\n", {"test.toml:8", "keys[0].limits.requests_per_minute"});
  expect_error(key + "limits = { requests_per_second = 1 }\n", {"keys[0].limits.requests_per_second", "unknown key"});
  expect_error(key + "budget = { usd = 5, period = \"year\" }\n", {"test.toml:8", "keys[0].budget.period", "year"});
  expect_error(key + "budget = { period = \"day\" }\n", {"keys[0].budget.usd", "is required"});
  expect_error(key + "budget = { usd = -3 }\n", {"keys[0].budget.usd"});
  expect_error(std::string(kProvider) + "[[models]]\nname = \"m\"\ntargets = [ { provider = \"p\", model = \"x\", cached_input_price = -1 } ]\n",
               {"cached_input_price"});
}

BOOST_AUTO_TEST_CASE(a_budget_with_no_price_anywhere_is_a_warning) {
  auto r = load_config_string(std::string(kProvider) + "[[models]]\nname = \"m\"\ntargets = [ { provider = \"p\", model = \"x\" } ]\n"
                                                       "[[keys]]\nname = \"a\"\nkey = \"${K}\"\nbudget = { usd = 5 }\n",
                              "test.toml", env({{"K", "k-123456789"}}));
  BOOST_REQUIRE_MESSAGE(r, r.error());
  BOOST_REQUIRE(r->warnings.size() == 1u);
  BOOST_TEST(r->warnings[0].find("key 'a' has a budget, but no route target has a price") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(provider_and_target_quotas_load) {
  auto r = load_config_string(R"(
[[providers]]
name = "p"
base_url = "http://127.0.0.1:1/v1"
limits = { requests_per_minute = 500, tokens_per_minute = 200000, requests_per_day = 10000 }
[[models]]
name = "m"
targets = [ { provider = "p", model = "x", limits = { requests_per_minute = 100, tokens_per_minute = 50000 } } ]
)", "test.toml", env({}));
  BOOST_REQUIRE_MESSAGE(r, r.error());
  BOOST_TEST(r->providers[0].limits.requests_per_minute == 500u);
  BOOST_TEST(r->providers[0].limits.tokens_per_minute == 200000u);
  BOOST_TEST(r->providers[0].limits.requests_per_day == 10000u);
  BOOST_TEST(r->models[0].targets[0].limits.requests_per_minute == 100u);
  BOOST_TEST(r->models[0].targets[0].limits.tokens_per_minute == 50000u);
  expect_error(std::string(kProvider) + "limits = { tokens_per_minute = 0 }\n", {"test.toml:5", "providers[0].limits.tokens_per_minute"});
}

// What a reload reports: named entries added, removed, changed; restart-only sections listed apart.
BOOST_AUTO_TEST_CASE(config_diff_names_what_a_reload_changes) {
  Config a;
  a.providers.push_back(ProviderConfig{.name = "p1", .base_url = "http://127.0.0.1:1/v1"});
  a.providers.push_back(ProviderConfig{.name = "p2", .base_url = "http://127.0.0.1:2/v1"});
  a.models.push_back(ModelRouteConfig{"fast", Strategy::failover, {TargetConfig{"p1", "m"}}});
  a.keys.push_back(KeyConfig{"k1", "secret-one-0123456789", {}});
  Config b = a;
  BOOST_TEST(config::diff(a, b).changes.empty());
  BOOST_TEST(config::diff(a, b).needs_restart.empty());
  b.providers[1].base_url = "http://127.0.0.1:3/v1";
  b.models[0].strategy = Strategy::weighted;
  b.keys[0].limits.requests_per_minute = 10;
  b.keys.push_back(KeyConfig{"k2", "secret-two-0123456789", {}});
  b.providers.erase(b.providers.begin());
  b.server.port = 9999;
  b.cache.enabled = true;
  b.teams.push_back(TeamConfig{"search"});
  b.auth.jwt = JwtConfig{};
  b.alerting.webhook_url = "https://hooks.example.com/T0/B0/secret-path";
  const auto d = config::diff(a, b);
  std::vector<std::string> changes = d.changes;
  std::sort(changes.begin(), changes.end());
  const std::vector<std::string> expected{"key 'k1' changed", "key 'k2' added", "provider 'p1' removed", "provider 'p2' changed", "route 'fast' changed",
                                          "team 'search' added"};
  BOOST_TEST(changes == expected, boost::test_tools::per_element());
  const std::vector<std::string> restart{"[server]", "[cache]", "[auth]", "[alerting] webhook_url"};  // the URL never (a Slack path is a secret)
  BOOST_TEST(d.needs_restart == restart, boost::test_tools::per_element());
  for (const auto& c : d.changes) BOOST_TEST(c.find("secret") == std::string::npos);  // names, never key values
  // What a reload runs: the new routes and keys, the running listener and cache.
  const Config run = config::reloadable_part(a, b);
  BOOST_TEST(run.server.port == a.server.port);
  BOOST_TEST(run.cache.enabled == a.cache.enabled);
  BOOST_TEST(run.alerting.webhook_url == a.alerting.webhook_url);  // the running notifier's, until a restart
  BOOST_TEST(run.keys.size() == 2u);
}

// The file's hash is what sha256sum prints for it (/health shows it).
BOOST_AUTO_TEST_CASE(a_loaded_file_carries_its_sha256) {
  const std::string path = (std::filesystem::temp_directory_path() / "switchyard-hash-test.toml").string();
  {
    std::ofstream out(path);
    out << "[server]\nlisten = \"127.0.0.1:0\"\n";
  }
  auto loaded = config::load_config_file(path, env());
  BOOST_REQUIRE(loaded);
  // printf '[server]\nlisten = "127.0.0.1:0"\n' | sha256sum
  BOOST_TEST(loaded->source_hash == "92c56d136d19455159b453ab555440c7b46a806433735eb3e9148f322edc59bf");
  std::filesystem::remove(path);
}

BOOST_AUTO_TEST_CASE(bedrock_credentials_from_the_config_the_environment_or_the_credentials_file) {
  const std::string head = "[[providers]]\nname = \"bedrock\"\ntype = \"bedrock\"\nregion = \"eu-west-3\"\n";
  const std::string keys = "access_key_id = \"${AWS_ACCESS_KEY_ID}\"\nsecret_access_key = \"${AWS_SECRET_ACCESS_KEY}\"\nsession_token = \"${AWS_SESSION_TOKEN}\"\n";
  {  // the config's own (the contract's form), session token optional
    auto r = load_config_string(head + keys, "t.toml", env({{"AWS_ACCESS_KEY_ID", "AKID1"}, {"AWS_SECRET_ACCESS_KEY", "secret1"}}));
    BOOST_REQUIRE(r);
    const auto& p = r->providers.at(0);
    BOOST_TEST(p.base_url == "https://bedrock-runtime.eu-west-3.amazonaws.com");
    BOOST_TEST(p.access_key_id == "AKID1");
    BOOST_TEST(p.session_token.empty());
    BOOST_TEST(p.credential_source == "config");
  }
  {  // no keys in the config: the environment (a session token read too)
    auto r = load_config_string(head, "t.toml", env({{"AWS_ACCESS_KEY_ID", "AKID2"}, {"AWS_SECRET_ACCESS_KEY", "secret2"}, {"AWS_SESSION_TOKEN", "tok"}}));
    BOOST_REQUIRE(r);
    BOOST_TEST(r->providers.at(0).secret_access_key == "secret2");
    BOOST_TEST(r->providers.at(0).session_token == "tok");
    BOOST_TEST(r->providers.at(0).credential_source == "environment");
  }
  {  // then the shared credentials file, at AWS_PROFILE
    const std::string file = "/tmp/switchyard-aws-credentials-test";
    {
      std::ofstream out(file);
      out << "[default]\naws_access_key_id = AKIDDEF\naws_secret_access_key = def\n\n[work]\naws_access_key_id=AKIDWORK\n"
             "aws_secret_access_key = work-secret\naws_session_token = work-token\n";
    }
    auto r = load_config_string(head + keys, "t.toml", env({{"AWS_SHARED_CREDENTIALS_FILE", file}, {"AWS_PROFILE", "work"}}));
    BOOST_REQUIRE(r);
    BOOST_TEST(r->providers.at(0).access_key_id == "AKIDWORK");
    BOOST_TEST(r->providers.at(0).session_token == "work-token");
    BOOST_TEST(r->providers.at(0).credential_source == file + " [work]");
    std::remove(file.c_str());
  }
  {  // none anywhere: skipped with a warning that says where it looked
    auto r = load_config_string(head + keys + "[[models]]\nname = \"m\"\ntargets = [{ provider = \"bedrock\", model = \"amazon.nova-lite-v1:0\" }]\n",
                                "t.toml", env({{"HOME", "/nonexistent"}}));
    BOOST_REQUIRE(r);
    BOOST_TEST(r->providers.empty());
    BOOST_TEST(r->warnings.at(0).find("no AWS credentials") != std::string::npos);
  }
  {  // a Bedrock API key: bearer, no signing
    auto r = load_config_string(head + "api_key = \"bedrock-api-key-1\"\n", "t.toml", env({}));
    BOOST_REQUIRE(r);
    BOOST_TEST(r->providers.at(0).credential_source == "api_key (bearer)");
  }
  expect_error("[[providers]]\nname = \"b\"\ntype = \"bedrock\"\naccess_key_id = \"a\"\nsecret_access_key = \"b\"\n", {"providers[0].region", "AWS_REGION"}, {});
  expect_error("[[providers]]\nname = \"b\"\ntype = \"openai\"\nregion = \"us-east-1\"\napi_key = \"k\"\n", {"providers[0].region", "for type \"bedrock\" only"});
  expect_error(head + "region2 = 1\n", {"region2"});
}

BOOST_AUTO_TEST_CASE(vertex_hosts_follow_the_location) {
  auto r = load_config_string("[[providers]]\nname = \"v\"\ntype = \"vertex\"\nproject = \"p1\"\nlocation = \"global\"\naccess_token = \"ya29.x\"\n"
                              "[[providers]]\nname = \"w\"\ntype = \"vertex\"\nproject = \"p1\"\nlocation = \"europe-west4\"\naccess_token = \"ya29.x\"\n",
                              "t.toml", env({}));
  BOOST_REQUIRE(r);
  BOOST_TEST(r->providers.at(0).base_url == "https://aiplatform.googleapis.com");
  BOOST_TEST(r->providers.at(1).base_url == "https://europe-west4-aiplatform.googleapis.com");
  expect_error("[[providers]]\nname = \"v\"\ntype = \"vertex\"\naccess_token = \"t\"\n", {"providers[0].project"});
}

BOOST_AUTO_TEST_CASE(several_keys_per_provider) {
  const std::string head = "[[providers]]\nname = \"openai\"\nbase_url = \"https://api.openai.com/v1\"\n";
  {
    auto r = load_config_string(head + "api_keys = [\"${K1}\", \"${K2}\", \"${K3}\"]\n", "t.toml", env({{"K1", "sk-1"}, {"K2", "sk-2"}}));
    BOOST_REQUIRE(r);
    const auto& p = r->providers.at(0);
    BOOST_REQUIRE_EQUAL(p.keys.size(), 2u);  // K3 unset: left out, with a warning
    BOOST_TEST(p.keys[1].key == "sk-2");
    BOOST_TEST(p.api_key.empty());
    BOOST_TEST(r->warnings.at(0).find("K3") != std::string::npos);
  }
  {
    auto r = load_config_string(head + "key_cooldown_ms = 5000\n[[providers.keys]]\nkey = \"${K1}\"\nweight = 3\n"
                                       "limits = { requests_per_minute = 500, tokens_per_minute = 200000 }\n[[providers.keys]]\nkey = \"sk-two\"\n",
                                "t.toml", env({{"K1", "sk-1"}}));
    BOOST_REQUIRE(r);
    const auto& p = r->providers.at(0);
    BOOST_REQUIRE_EQUAL(p.keys.size(), 2u);
    BOOST_TEST(p.keys[0].weight == 3.0);
    BOOST_TEST(p.keys[0].limits.tokens_per_minute == 200000u);
    BOOST_TEST(p.keys[1].weight == 1.0);
    BOOST_TEST(p.key_cooldown.count() == 5000);
  }
  {  // every key's variable unset: the provider is skipped, as with one key
    auto r = load_config_string(head + "api_keys = [\"${K1}\"]\n", "t.toml", env({}));
    BOOST_REQUIRE(r);
    BOOST_TEST(r->providers.empty());
  }
  expect_error(head + "api_key = \"sk-0\"\napi_keys = [\"sk-1\"]\n", {"test.toml:", "providers[0].api_key", "not both"});
  expect_error(head + "api_keys = []\n", {"providers[0].api_keys", "non-empty"});
  expect_error(head + "[[providers.keys]]\nweight = 2\n", {"providers[0].keys[0].key", "required"});
  expect_error(head + "[[providers.keys]]\nkey = \"a\"\nweight = -1\n", {"providers[0].keys[0].weight"});
}

// Issue 28's contract: [store], [[teams]], a key's team, [auth.jwt].
BOOST_AUTO_TEST_CASE(organisations_teams_store_and_jwt) {
  const std::string text = R"(
[store]
backend = "postgres"
postgres_url = "${SWITCHYARD_POSTGRES_URL}"
spool_dir = "${SWITCHYARD_DATA:-data}/spool"

[[teams]]
name = "search"
models = ["fast", "openai/*"]
budget = { usd = 500.0, period = "month" }
limits = { requests_per_minute = 600, tokens_per_minute = 400000 }
user_limits = { requests_per_minute = 20, budget_usd = 5.0, period = "day" }

[[keys]]
name = "search-api"
key = "${SEARCH_KEY}"
team = "search"

[auth.jwt]
issuer = "https://login.example.com/"
audience = "switchyard"
jwks_url = "https://login.example.com/.well-known/jwks.json"
team_claim = "groups"
user_claim = "sub"
)";
  auto r = load_config_string(text, "t.toml", env({{"SWITCHYARD_POSTGRES_URL", "postgresql://sy:pw@127.0.0.1:5432/sy"}, {"SEARCH_KEY", "sk-search-0001"}}));
  BOOST_REQUIRE_MESSAGE(r, (r ? "" : r.error()));
  BOOST_TEST((r->store.backend == StoreBackend::postgres));
  BOOST_TEST(r->store.postgres_url == "postgresql://sy:pw@127.0.0.1:5432/sy");
  BOOST_TEST(r->store.spool_dir == "data/spool");
  BOOST_REQUIRE_EQUAL(r->teams.size(), 1u);
  const auto& t = r->teams[0];
  BOOST_TEST(t.models == (std::vector<std::string>{"fast", "openai/*"}));
  BOOST_TEST(t.budget->usd == 500.0);
  BOOST_TEST((t.budget->period == BudgetPeriod::month));
  BOOST_TEST(t.limits.tokens_per_minute == 400000u);
  BOOST_TEST(t.user_limits.requests_per_minute == 20u);
  BOOST_TEST(t.user_budget->usd == 5.0);
  BOOST_TEST((t.user_budget->period == BudgetPeriod::day));
  BOOST_TEST(r->keys.at(0).team == "search");
  BOOST_REQUIRE(r->auth.jwt.has_value());
  BOOST_TEST(r->auth.jwt->issuer == "https://login.example.com/");
  BOOST_TEST(r->auth.jwt->team_claim == "groups");
  BOOST_TEST(r->auth.jwt->jwks_refresh.count() == 600000);
  // SQLite (the default) needs no URL, even when the variable is unset.
  auto sqlite = load_config_string("[store]\nbackend = \"sqlite\"\npostgres_url = \"${SWITCHYARD_POSTGRES_URL}\"\n", "t.toml", env({}));
  BOOST_REQUIRE(sqlite);
  BOOST_TEST((sqlite->store.backend == StoreBackend::sqlite));
  expect_error("[store]\nbackend = \"postgres\"\n", {"store.postgres_url", "required"});
  expect_error("[[keys]]\nname = \"a\"\nkey = \"sk-aaaaaaaa\"\nteam = \"nope\"\n", {"keys[a].team", "no team named \"nope\""});
  expect_error("[[teams]]\nname = \"x\"\nuser_limits = { period = \"day\" }\n", {"teams[0].user_limits.period", "budget_usd"});
  expect_error("[[teams]]\nname = \"x\"\nuser_limits = { requests = 1 }\n", {"teams[0].user_limits.requests", "unknown key"});
  expect_error("[auth.jwt]\nissuer = \"i\"\naudience = \"a\"\n", {"auth.jwt.jwks_url", "one of them"});
  expect_error("[[teams]]\nname = \"x\"\n[[teams]]\nname = \"x\"\n", {"duplicate team name"});
}
