// Integration: keys and teams managed at run time through the admin API on a
// real gateway (every worker when SWITCHYARD_TEST_WORKERS is set): a key made
// is usable on the very next request, its team's limits hold all its keys,
// rotation keeps the old secret for its grace period, a revoked key is
// refused, names in the file are the file's, every action is audited, and
// what the API made survives a restart (SQLite).
#include <boost/test/unit_test.hpp>

#include <boost/json.hpp>

#include <filesystem>

#include "support/gateway_harness.hpp"

using namespace switchyard;
using namespace switchyard::test;
using http::verb;

namespace {
constexpr const char* kAdmin = "admin-key-0123456789";

Headers admin() { return {{"authorization", "Bearer " + std::string(kAdmin)}}; }

boost::json::object json_of(const HttpResult& r) { return boost::json::parse(r.body).as_object(); }

struct Admin {
  GatewayHarness& h;
  HttpResult call(verb v, const std::string& path, const std::string& body = "") {
    return h.run(http_call(h.port(), v, path, body, body.empty() ? admin() : Headers{{"authorization", "Bearer " + std::string(kAdmin)}, {"content-type", "application/json"}}));
  }
  HttpResult chat(const std::string& key, const std::string& extra = "") {
    return h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body("fast", false, extra), auth_headers(key)));
  }
};

void with_admin(Config& c) {
  c.server.admin_key = kAdmin;
  c.teams.push_back(TeamConfig{"file-team", {}, {}, std::nullopt, {}, std::nullopt});
}
}  // namespace

BOOST_AUTO_TEST_SUITE(admin_api)

BOOST_AUTO_TEST_CASE(a_key_made_through_the_api_works_at_once_and_its_team_limits_hold) {
  GatewayHarness h({}, with_admin);
  Admin a{h};
  auto team = a.call(verb::post, "/admin/teams", R"({"name":"search","models":["fast"],"limits":{"requests_per_minute":3},"user_limits":{"requests_per_minute":1}})");
  BOOST_REQUIRE_MESSAGE(team.status == 201u, team.body);
  BOOST_TEST(json_of(team).at("source").as_string() == "api");
  auto made = a.call(verb::post, "/admin/keys", R"({"name":"search-api","team":"search","metadata":{"owner":"ana"}})");
  BOOST_REQUIRE_MESSAGE(made.status == 201u, made.body);
  const std::string secret(json_of(made).at("key").as_string());
  BOOST_TEST(secret.starts_with("sk-sy-"));
  BOOST_TEST(secret.size() == 49u);
  BOOST_TEST(std::string(json_of(made).at("prefix").as_string()).starts_with(secret.substr(0, 10)));
  auto second = a.call(verb::post, "/admin/keys", R"({"name":"search-batch","team":"search"})");
  const std::string secret2(json_of(second).at("key").as_string());
  // Usable on the very next request, whichever worker takes it.
  BOOST_TEST(a.chat(secret).status == 200u);
  BOOST_TEST(a.chat(secret2, R"(,"user":"alice")").status == 200u);
  auto alice_again = a.chat(secret, R"(,"user":"alice")");  // alice's 1 a minute, through the team's other key
  BOOST_TEST(alice_again.status == 429u);
  BOOST_TEST(json_of(alice_again).at("error").at("level").as_string() == "user");
  BOOST_TEST(a.chat(secret2).status == 200u);  // the team's third
  auto over = a.chat(secret);
  BOOST_TEST(over.status == 429u);
  BOOST_TEST(json_of(over).at("error").at("level").as_string() == "team");
  BOOST_TEST(std::string(json_of(over).at("error").at("message").as_string()).find("team 'search'") != std::string::npos);
  BOOST_TEST(std::string(over.headers["x-ratelimit-limit-requests"]) == "3");
  // The team's models: another route is not the team's.
  BOOST_TEST(h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body("other"), auth_headers(secret))).status == 403u);
  // Listed without secrets; the secret is never readable again.
  auto list = a.call(verb::get, "/admin/keys");
  BOOST_TEST(list.status == 200u);
  BOOST_TEST(list.body.find(secret) == std::string::npos);
  BOOST_TEST(list.body.find("\"search-api\"") != std::string::npos);
  BOOST_TEST(list.body.find("\"test\"") != std::string::npos);  // the file's key, listed as the file's
  auto one = json_of(a.call(verb::get, "/admin/keys/search-api"));
  BOOST_TEST(one.at("metadata").at("owner").as_string() == "ana");
  BOOST_TEST(one.at("team").as_string() == "search");
  BOOST_TEST(one.at("status").at("limits").as_object().empty());  // the key's own: none (the team's are the team's)
  BOOST_TEST(std::string(one.at("status").at("last_used_at").as_string()).ends_with("Z"));  // it was used above
  BOOST_TEST(!json_of(a.call(verb::get, "/admin/keys/test")).at("status").as_object().contains("last_used_at"));  // never used
  auto t = json_of(a.call(verb::get, "/admin/teams/search"));
  BOOST_TEST(t.at("status").at("limits").at("requests_per_minute").at("remaining").as_int64() == 0);
}

BOOST_AUTO_TEST_CASE(rotation_keeps_the_old_secret_for_its_grace_and_revocation_is_immediate) {
  GatewayHarness h({}, with_admin);
  Admin a{h};
  const std::string first(json_of(a.call(verb::post, "/admin/keys", R"({"name":"ci"})")).at("key").as_string());
  auto rotated = a.call(verb::post, "/admin/keys/ci/rotate", R"({"grace_s":60})");
  BOOST_REQUIRE_MESSAGE(rotated.status == 200u, rotated.body);
  const std::string second(json_of(rotated).at("key").as_string());
  BOOST_TEST(second != first);
  BOOST_TEST(a.chat(first).status == 200u);  // in its grace period
  BOOST_TEST(a.chat(second).status == 200u);
  auto again = a.call(verb::post, "/admin/keys/ci/rotate", R"({})");  // no grace: the old one stops at once
  const std::string third(json_of(again).at("key").as_string());
  BOOST_TEST(a.chat(second).status == 401u);
  BOOST_TEST(a.chat(first).status == 401u);  // a second rotation ends the first one's grace too
  BOOST_TEST(a.chat(third).status == 200u);
  auto revoked = a.call(verb::delete_, "/admin/keys/ci");
  BOOST_TEST(revoked.status == 200u);
  BOOST_TEST(!json_of(revoked).at("revoked_at").is_null());
  auto refused = a.chat(third);
  BOOST_TEST(refused.status == 401u);
  BOOST_TEST(a.call(verb::get, "/admin/keys/ci").status == 200u);  // still listed, as revoked
  BOOST_TEST(a.call(verb::delete_, "/admin/keys/ci").status == 404u);
  // An expiring key.
  auto expiring = a.call(verb::post, "/admin/keys", R"({"name":"tmp","expires_at":"2099-01-01T00:00:00Z"})");
  BOOST_TEST(expiring.status == 201u);
  BOOST_TEST(json_of(expiring).at("expires_at").as_string() == "2099-01-01T00:00:00Z");
  BOOST_TEST(a.call(verb::post, "/admin/keys", R"({"name":"old","expires_at":"2001-01-01T00:00:00Z"})").status == 400u);
}

BOOST_AUTO_TEST_CASE(bad_bodies_conflicts_and_file_names_are_clear_errors) {
  GatewayHarness h({}, with_admin);
  Admin a{h};
  auto code_of = [](const HttpResult& r) { return std::string(json_of(r).at("error").at("code").as_string()); };
  auto dup = a.call(verb::post, "/admin/keys", R"({"name":"test"})");  // the file's key
  BOOST_TEST(dup.status == 409u);
  BOOST_TEST(code_of(dup) == "conflict");
  BOOST_TEST(a.call(verb::patch, "/admin/keys/test", R"({"models":["x"]})").status == 409u);
  BOOST_TEST(a.call(verb::delete_, "/admin/teams/file-team").status == 409u);
  auto bad = a.call(verb::post, "/admin/keys", R"({"name":"x","limits":{"requests_per_minute":-1}})");
  BOOST_TEST(bad.status == 400u);
  BOOST_TEST(code_of(bad) == "invalid_request_error");
  BOOST_TEST(std::string(json_of(bad).at("error").at("message").as_string()).find("limits.requests_per_minute") != std::string::npos);
  BOOST_TEST(a.call(verb::post, "/admin/keys", R"({"name":"x","team":"nope"})").status == 400u);
  BOOST_TEST(a.call(verb::post, "/admin/keys", R"({"name":"x","secret":"mine"})").status == 400u);
  BOOST_TEST(a.call(verb::post, "/admin/keys", R"({"name":"bad name"})").status == 400u);
  BOOST_TEST(a.call(verb::post, "/admin/keys", R"([1,2])").status == 400u);
  BOOST_TEST(a.call(verb::post, "/admin/keys", R"({"name":)").status == 400u);
  auto missing = a.call(verb::get, "/admin/keys/nobody");
  BOOST_TEST(missing.status == 404u);
  BOOST_TEST(code_of(missing) == "not_found");
  BOOST_TEST(a.call(verb::put, "/admin/keys").status == 405u);
  // No admin key, or a client key: refused before anything is read.
  BOOST_TEST(h.run(http_call(h.port(), verb::get, "/admin/keys", "")).status == 401u);
  BOOST_TEST(h.run(http_call(h.port(), verb::post, "/admin/keys", R"({"name":"y"})", auth_headers())).status == 401u);
  // A team with keys is not deleted; without, it is.
  BOOST_TEST(a.call(verb::post, "/admin/teams", R"({"name":"ops"})").status == 201u);
  BOOST_TEST(a.call(verb::post, "/admin/keys", R"({"name":"ops-1","team":"ops"})").status == 201u);
  BOOST_TEST(a.call(verb::delete_, "/admin/teams/ops").status == 409u);
  BOOST_TEST(a.call(verb::patch, "/admin/keys/ops-1", R"({"team":null})").status == 200u);
  BOOST_TEST(a.call(verb::delete_, "/admin/teams/ops").status == 200u);
  BOOST_TEST(a.call(verb::get, "/admin/teams/ops").status == 404u);
  // Every action is in the audit, newest first, with who and from where; no secret in it.
  auto audit = a.call(verb::get, "/admin/audit?limit=10");
  BOOST_REQUIRE(audit.status == 200u);
  const auto audit_json = json_of(audit);
  const auto& entries = audit_json.at("entries").as_array();
  BOOST_REQUIRE(entries.size() == 4u);
  BOOST_TEST(entries[0].at("action").as_string() == "team.delete");
  BOOST_TEST(entries[1].at("action").as_string() == "key.update");
  BOOST_TEST(entries[3].at("action").as_string() == "team.create");
  BOOST_TEST(entries[0].at("actor").as_string() == "admin-key");
  BOOST_TEST(entries[0].at("address").as_string() == "127.0.0.1");
  BOOST_TEST(audit.body.find("sk-sy-") == std::string::npos);
  BOOST_TEST(a.call(verb::post, "/admin/keys", R"({"name":"ana@search"})").status == 201u);
  BOOST_TEST(a.call(verb::get, "/admin/keys/ana%40search").status == 200u);  // an escaped '@' in the path
  BOOST_TEST(a.call(verb::get, "/admin/keys/ana%4").status == 404u);
}

BOOST_AUTO_TEST_CASE(keys_and_teams_made_through_the_api_survive_a_restart) {
  const auto dir = std::filesystem::temp_directory_path() / ("sy-admin-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  auto on_file = [&](Config& c) {
    with_admin(c);
    c.usage.path = (dir / "usage.db").string();
  };
  std::string secret;
  {
    GatewayHarness h({}, on_file);
    Admin a{h};
    BOOST_REQUIRE(a.call(verb::post, "/admin/teams", R"({"name":"search","budget":{"usd":5,"period":"day"}})").status == 201u);
    secret = std::string(json_of(a.call(verb::post, "/admin/keys", R"({"name":"kept","team":"search"})")).at("key").as_string());
    BOOST_TEST(a.chat(secret).status == 200u);
  }
  {
    GatewayHarness h({}, on_file);
    Admin a{h};
    BOOST_TEST(a.chat(secret).status == 200u);
    auto team = json_of(a.call(verb::get, "/admin/teams/search"));
    BOOST_TEST(team.at("budget").at("usd").as_double() == 5.0);
  }
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_SUITE_END()

// Two daemons on one store file: a key made through one is usable on the other within a
// second, and a key revoked through one is refused by the other within a second.
BOOST_AUTO_TEST_SUITE(admin_api_replicas)

BOOST_AUTO_TEST_CASE(two_gateways_on_one_store_see_each_others_changes_within_a_second) {
  const auto dir = std::filesystem::temp_directory_path() / ("sy-replicas-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  auto on_file = [&](Config& c) {
    with_admin(c);
    c.usage.path = (dir / "usage.db").string();
    c.store.poll_interval = Millis(200);
  };
  GatewayHarness a({}, on_file), b({}, on_file);
  Admin admin_a{a}, admin_b{b};
  const std::string secret(json_of(admin_a.call(verb::post, "/admin/keys", R"({"name":"shared"})")).at("key").as_string());
  BOOST_TEST(admin_a.chat(secret).status == 200u);
  const auto made = std::chrono::steady_clock::now();
  BOOST_TEST(b.run(eventually([&] { return admin_b.chat(secret).status == 200; }, std::chrono::seconds(2))));
  BOOST_TEST((std::chrono::steady_clock::now() - made < std::chrono::seconds(1)));
  BOOST_TEST(admin_b.call(verb::delete_, "/admin/keys/shared").status == 200u);
  BOOST_TEST(admin_b.chat(secret).status == 401u);  // at once where it was revoked
  const auto revoked = std::chrono::steady_clock::now();
  BOOST_TEST(a.run(eventually([&] { return admin_a.chat(secret).status == 401; }, std::chrono::seconds(2))));
  BOOST_TEST((std::chrono::steady_clock::now() - revoked < std::chrono::seconds(1)));
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_SUITE_END()
