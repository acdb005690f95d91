// Admission over three levels: a key, its team, the team's end user. A
// request passes only when all three have room; a refusal at any level
// takes nothing from the others; the ticket charges all three and gives
// every slot back on every path.
#include <boost/test/unit_test.hpp>

#include <boost/json.hpp>

#include "auth/key_store.hpp"
#include "governance/governor.hpp"
#include "routing/target_registry.hpp"

using namespace switchyard;
using namespace switchyard::governance;

namespace {
const auto body = boost::json::parse(R"({"model":"fast","max_tokens":100,"messages":[{"role":"user","content":"12345678"}]})").as_object();

// Two keys of team "search" and one key of no team.
struct Org {
  std::vector<KeyConfig> keys;
  std::vector<TeamConfig> teams;
  std::vector<auth::KeyEntry> entries;
  Ms now = 1'764'547'200'000;  // 2025-12-01T00:00:00Z
  Org() {
    teams.push_back(TeamConfig{"search", {}, {}, std::nullopt, {}, std::nullopt});
    keys.push_back(KeyConfig{"search-api", "sk-search-api-0001"});
    keys.push_back(KeyConfig{"search-batch", "sk-search-batch-0002"});
    keys.push_back(KeyConfig{"solo", "sk-solo-key-0003"});
    keys[0].team = keys[1].team = "search";
  }
  Governor governor() {
    entries.clear();
    for (std::size_t i = 0; i < keys.size(); ++i) {
      auth::KeyEntry e{keys[i].name, {}, i};
      if (!keys[i].team.empty()) {
        e.team = keys[i].team;
        e.team_index = 0;
      }
      entries.push_back(e);
    }
    return Governor(keys, teams, [this] { return now; });
  }
};

TeamConfig& team(Org& o) { return o.teams[0]; }
}  // namespace

BOOST_AUTO_TEST_SUITE(hierarchy)

BOOST_AUTO_TEST_CASE(a_team_limit_is_shared_by_all_its_keys_and_names_the_team) {
  Org o;
  team(o).limits.requests_per_minute = 3;
  auto g = o.governor();
  std::vector<std::shared_ptr<AdmissionTicket>> held;
  for (int i = 0; i < 3; ++i) {
    auto a = g.admit(&o.entries[i % 2], body);
    BOOST_REQUIRE(!a.refused);
    held.push_back(a.ticket);
  }
  auto refused = g.admit(&o.entries[1], body);
  BOOST_REQUIRE(refused.refused.has_value());
  BOOST_TEST((refused.refused->code == errc::rate_limited));
  BOOST_TEST(refused.refused->level == "team");
  BOOST_TEST(refused.refused->message == "team 'search': 3 requests per minute");
  BOOST_TEST(refused.refused->retry_after == "20");  // the bucket refills one request every 20 s
  BOOST_TEST(refused.requests.limit == 3u);           // the headers show the team's window: the tightest
  BOOST_TEST(refused.requests.remaining == 0u);
  BOOST_TEST(!g.admit(&o.entries[2], body).refused);  // a key of no team is not held by it
}

BOOST_AUTO_TEST_CASE(a_refusal_at_a_later_level_takes_nothing_from_the_earlier_ones) {
  Org o;
  o.keys[0].limits.requests_per_minute = 2;
  team(o).user_limits.requests_per_minute = 1;
  auto g = o.governor();
  auto alice = g.admit(&o.entries[0], body, "alice");
  BOOST_REQUIRE(!alice.refused);
  auto again = g.admit(&o.entries[0], body, "alice");  // the user's 1 a minute is spent
  BOOST_REQUIRE(again.refused.has_value());
  BOOST_TEST(again.refused->level == "user");
  BOOST_TEST(again.refused->message == "user 'alice' of team 'search': 1 requests per minute");
  // The key's second request of the minute is still there: the refused one took none of it.
  auto bob = g.admit(&o.entries[0], body, "bob");
  BOOST_REQUIRE(!bob.refused);
  auto third = g.admit(&o.entries[0], body, "carol");
  BOOST_REQUIRE(third.refused.has_value());
  BOOST_TEST(third.refused->level == "key");
  BOOST_TEST(third.refused->message == "key 'search-api': 2 requests per minute");
}

BOOST_AUTO_TEST_CASE(users_are_counted_per_team_and_no_user_means_no_user_level) {
  Org o;
  team(o).user_limits.requests_per_minute = 1;
  auto g = o.governor();
  BOOST_TEST(!g.admit(&o.entries[0], body, "alice").refused);
  BOOST_TEST(!g.admit(&o.entries[1], body, "bob").refused);
  BOOST_TEST(g.admit(&o.entries[1], body, "alice").refused.has_value());  // the same user through another key of the team
  for (int i = 0; i < 5; ++i) BOOST_TEST(!g.admit(&o.entries[0], body).refused);  // no end user named
  BOOST_TEST(!g.admit(&o.entries[2], body, "alice").refused);  // a key of no team: no user_limits
}

BOOST_AUTO_TEST_CASE(concurrency_slots_come_back_on_every_path) {
  Org o;
  o.keys[0].limits.concurrent = 5;
  team(o).limits.concurrent = 2;
  team(o).user_limits.concurrent = 1;
  auto g = o.governor();
  {
    auto a = g.admit(&o.entries[0], body, "alice");
    BOOST_REQUIRE(!a.refused);
    auto b = g.admit(&o.entries[0], body, "alice");  // alice's one slot is taken
    BOOST_REQUIRE(b.refused.has_value());
    BOOST_TEST(b.refused->level == "user");
    auto c = g.admit(&o.entries[0], body, "bob");
    BOOST_REQUIRE(!c.refused);
    auto d = g.admit(&o.entries[1], body, "carol");  // the team's two slots are taken
    BOOST_REQUIRE(d.refused.has_value());
    BOOST_TEST(d.refused->level == "team");
    a.ticket->finish(Usage{10, 5}, 0);  // an answer ended
    // c's ticket is dropped unfinished (an error, a cut stream, a client gone): its slots come back too
  }
  for (const char* user : {"alice", "bob"}) {
    auto again = g.admit(&o.entries[0], body, user);
    BOOST_TEST(!again.refused, user);
  }
}

BOOST_AUTO_TEST_CASE(spend_is_charged_to_the_key_the_team_and_the_user) {
  Org o;
  team(o).budget = BudgetConfig{10.0, BudgetPeriod::month};
  team(o).user_budget = BudgetConfig{1.0, BudgetPeriod::day};
  o.keys[0].budget = BudgetConfig{100.0, BudgetPeriod::month};
  auto g = o.governor();
  auto a = g.admit(&o.entries[0], body, "alice");
  BOOST_REQUIRE(!a.refused);
  a.ticket->finish(Usage{10, 5}, 1.25);  // alice spent her day's $1 (and more: the answer's cost is what it is)
  auto b = g.admit(&o.entries[0], body, "alice");
  BOOST_REQUIRE(b.refused.has_value());
  BOOST_TEST((b.refused->code == errc::budget_exceeded));
  BOOST_TEST(b.refused->level == "user");
  BOOST_TEST(b.refused->message.find("user 'alice' of team 'search': budget of $1.000000 per day spent ($1.250000)") == 0u,
             b.refused->message);
  BOOST_TEST(b.refused->retry_after == "86400");  // tomorrow, 00:00 UTC
  BOOST_TEST(g.spent_of(0) == 1.25);
  const auto t = g.team_status(0);
  BOOST_TEST(t.at("budget").at("spent_usd").as_double() == 1.25);
  // The team's budget runs out for every key and user.
  for (int i = 0; i < 7; ++i) {
    auto c = g.admit(&o.entries[1], body, "user-" + std::to_string(i));
    BOOST_REQUIRE(!c.refused);
    c.ticket->finish(Usage{10, 5}, 1.25);
  }
  auto d = g.admit(&o.entries[1], body, "zed");
  BOOST_REQUIRE(d.refused.has_value());
  BOOST_TEST(d.refused->level == "team");
  BOOST_TEST(d.refused->message.find("team 'search': budget of $10.000000 per month spent") == 0u, d.refused->message);
}

BOOST_AUTO_TEST_CASE(a_reload_that_changes_user_limits_keeps_what_users_used) {
  Org o;
  team(o).user_limits.requests_per_minute = 3;
  auto g = o.governor();
  for (int i = 0; i < 2; ++i) BOOST_TEST(!g.admit(&o.entries[0], body, "alice").refused);
  Org next = o;
  next.teams[0].user_limits.requests_per_minute = 2;  // lowered: alice used both already
  auto g2 = next.governor();
  g2.adopt(g);
  BOOST_TEST(g2.admit(&next.entries[0], body, "alice").refused.has_value());
  BOOST_TEST(!g2.admit(&next.entries[0], body, "bob").refused);
}

BOOST_AUTO_TEST_CASE(a_restart_restores_team_and_user_spend_from_the_ledger) {
  Org o;
  team(o).budget = BudgetConfig{5.0, BudgetPeriod::month};
  team(o).user_budget = BudgetConfig{1.0, BudgetPeriod::month};
  auto g = o.governor();
  g.restore([&](Ms, Ms, Level level) {
    std::map<std::string, Governor::KeyUsage> out;
    if (level == Level::team) out["search"] = Governor::KeyUsage{3, 300, 4.0};
    if (level == Level::user) out[std::string("search\x1f") + "alice"] = Governor::KeyUsage{1, 100, 1.0};
    return out;
  });
  auto alice = g.admit(&o.entries[0], body, "alice");
  BOOST_REQUIRE(alice.refused.has_value());
  BOOST_TEST(alice.refused->level == "user");
  auto bob = g.admit(&o.entries[0], body, "bob");
  BOOST_REQUIRE(!bob.refused);
  bob.ticket->finish(Usage{}, 1.0);  // the team's $5 spent
  BOOST_TEST(g.admit(&o.entries[1], body, "carol").refused->level == "team");
}

BOOST_AUTO_TEST_SUITE_END()
