#include <boost/test/unit_test.hpp>

#include <boost/json.hpp>

#include "auth/key_store.hpp"
#include "governance/governor.hpp"
#include "routing/target_registry.hpp"

using namespace switchyard;
using namespace switchyard::governance;

namespace {
struct Keys {
  std::vector<KeyConfig> config;
  std::vector<auth::KeyEntry> entries;
  Ms now = 1'764'547'200'000;  // 2025-12-01T00:00:00Z
  Keys(LimitsConfig limits, std::optional<BudgetConfig> budget = std::nullopt) {
    config.push_back(KeyConfig{"team-a", "sk-team-a-0001", {}, limits, budget});
    entries.push_back(auth::KeyEntry{"team-a", {}, 0});
  }
  Governor governor() { return Governor(config, [this] { return now; }); }
};
const auto body = boost::json::parse(R"({"model":"fast","max_tokens":100,"messages":[{"role":"user","content":"12345678"}]})").as_object();
}  // namespace

BOOST_AUTO_TEST_SUITE(governor)

BOOST_AUTO_TEST_CASE(tokens_are_estimated_from_the_prompt_and_max_tokens) {
  BOOST_TEST(estimate_tokens(body, 256) == 102u);  // 8 characters ~ 2 tokens, plus max_tokens
  const auto no_max = boost::json::parse(R"({"messages":[{"role":"user","content":[{"type":"text","text":"abcdefgh"}]}]})").as_object();
  BOOST_TEST(estimate_tokens(no_max, 256) == 258u);  // the key's recent answers stand in for max_tokens
}

BOOST_AUTO_TEST_CASE(over_a_limit_is_a_429_naming_the_key_and_the_limit_with_retry_after) {
  LimitsConfig limits;
  limits.requests_per_minute = 1;
  Keys k(limits);
  auto g = k.governor();
  auto first = g.admit(&k.entries[0], body);
  BOOST_REQUIRE(!first.refused);
  BOOST_REQUIRE(first.ticket);
  BOOST_TEST(first.requests.limit == 1u);
  BOOST_TEST(first.requests.remaining == 0u);
  auto second = g.admit(&k.entries[0], body);
  BOOST_REQUIRE(second.refused.has_value());
  BOOST_TEST((second.refused->code == errc::rate_limited));
  BOOST_TEST(second.refused->message == "key 'team-a': 1 requests per minute");
  BOOST_TEST(second.refused->retry_after == "60");
  k.now += 60'000;
  BOOST_TEST(!g.admit(&k.entries[0], body).refused);
}

BOOST_AUTO_TEST_CASE(a_finished_ticket_reconciles_tokens_and_charges_the_budget) {
  LimitsConfig limits;
  limits.tokens_per_minute = 1000;
  Keys k(limits, BudgetConfig{1.0, BudgetPeriod::day});
  auto g = k.governor();
  auto a = g.admit(&k.entries[0], body);
  BOOST_REQUIRE(a.ticket);
  BOOST_TEST(a.tokens.remaining == 898u);  // 102 reserved
  Usage used;
  used.prompt_tokens = 2;
  used.completion_tokens = 18;
  a.ticket->finish(used, 0.60);
  a.ticket->finish(used, 0.60);  // once only
  auto b = g.admit(&k.entries[0], body);
  BOOST_TEST(b.tokens.remaining == 1000u - 20u - 102u);
  b.ticket->finish(used, 0.50);  // $1.10 spent of $1.00
  auto c = g.admit(&k.entries[0], body);
  BOOST_REQUIRE(c.refused.has_value());
  BOOST_TEST((c.refused->code == errc::budget_exceeded));
  BOOST_TEST(c.refused->message.find("resets at 2025-12-02T00:00:00Z") != std::string::npos, c.refused->message);
  BOOST_TEST(c.refused->retry_after == "86400");
  k.now += 86'400'000;  // the next UTC day
  BOOST_TEST(!g.admit(&k.entries[0], body).refused);
}

BOOST_AUTO_TEST_CASE(a_dropped_ticket_gives_its_slot_back) {
  LimitsConfig limits;
  limits.concurrent = 1;
  Keys k(limits);
  auto g = k.governor();
  {
    auto a = g.admit(&k.entries[0], body);
    BOOST_REQUIRE(a.ticket);
    BOOST_TEST(g.admit(&k.entries[0], body).refused.has_value());
  }  // a cancelled request: its ticket is destroyed unfinished
  BOOST_TEST(!g.admit(&k.entries[0], body).refused);
}

BOOST_AUTO_TEST_CASE(keys_without_limits_and_trusted_callers_take_nothing) {
  Keys k(LimitsConfig{});
  auto g = k.governor();
  auto a = g.admit(&k.entries[0], body);
  BOOST_TEST(!a.ticket);
  BOOST_TEST(!a.refused);
  BOOST_TEST(!g.admit(nullptr, body).ticket);
}

BOOST_AUTO_TEST_CASE(cached_and_cache_write_tokens_are_priced_at_their_own_prices) {
  TargetConfig prices;
  prices.input_price = 3.0;  // per million
  prices.output_price = 15.0;
  Usage u;
  u.prompt_tokens = 1'000'000;  // of which 600k read from the cache, 100k written to it
  u.cached_tokens = 600'000;
  u.cache_write_tokens = 100'000;
  u.completion_tokens = 100'000;
  // Without cache prices: everything at the input price.
  BOOST_TEST(routing::cost_of(u, &prices) == 3.0 + 1.5, boost::test_tools::tolerance(1e-9));
  prices.cached_input_price = 0.3;
  prices.cache_write_price = 3.75;
  // 300k uncached * 3 + 600k * 0.3 + 100k * 3.75 + 100k * 15, per million.
  BOOST_TEST(routing::cost_of(u, &prices) == 0.9 + 0.18 + 0.375 + 1.5, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(routing::cost_of(u, nullptr) == 0.0);
}

// A reload: an unchanged key keeps its very counters (a request of the old
// configuration frees its slot in them); a changed one starts from what was
// used, so a lowered limit applies at once; spend carries within its period.
BOOST_AUTO_TEST_CASE(a_reloaded_governor_takes_over_the_keys_by_name) {
  LimitsConfig limits;
  limits.requests_per_minute = 10;
  limits.concurrent = 1;
  Keys k(limits, BudgetConfig{1.0, BudgetPeriod::day});
  auto old_gov = k.governor();
  auto held = old_gov.admit(&k.entries[0], body);  // holds the one concurrency slot
  BOOST_REQUIRE(held.ticket);
  {
    auto same = k.governor();
    same.adopt(old_gov);
    BOOST_TEST(same.admit(&k.entries[0], body).refused.has_value());  // the slot is still taken (shared state)
  }
  // Changed: 3 a minute, no concurrency limit; 1 of them used (refused admissions count no request).
  Keys changed(LimitsConfig{.requests_per_minute = 3}, BudgetConfig{1.0, BudgetPeriod::day});
  changed.now = k.now;
  auto next = changed.governor();
  held.ticket->finish(Usage{.prompt_tokens = 10, .completion_tokens = 10}, 0.75);
  next.adopt(old_gov);
  BOOST_TEST(!next.admit(&changed.entries[0], body).refused);
  BOOST_TEST(!next.admit(&changed.entries[0], body).refused);
  auto third = next.admit(&changed.entries[0], body);
  BOOST_REQUIRE(third.refused.has_value());  // 1 before the reload + 2 after
  BOOST_TEST(third.refused->message == "key 'team-a': 3 requests per minute");
  const auto status = next.status(changed.entries[0]);
  BOOST_TEST(status.at("budget").at("spent_usd").as_double() == 0.75);
}

BOOST_AUTO_TEST_SUITE_END()
