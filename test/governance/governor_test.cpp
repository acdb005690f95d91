#include <boost/test/unit_test.hpp>

#include <boost/json.hpp>

#include <map>

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

BOOST_AUTO_TEST_CASE(requests_in_flight_reserve_their_estimated_cost_against_the_budget) {
  // 30 requests of ~$0.01 each at once all passed a $0.001 budget (306x overspend):
  // the first reserves its estimate; the others wait until it ends.
  Keys k(LimitsConfig{}, BudgetConfig{0.001, BudgetPeriod::day});
  auto g = k.governor();
  TargetConfig prices;
  prices.input_price = 10;     // $ per million
  prices.output_price = 30;
  g.set_pricer([&](std::string_view model) { return model == "fast" ? &prices : nullptr; });
  const auto big = boost::json::parse(R"({"model":"fast","max_tokens":300,"messages":[{"role":"user","content":")" +
                                      std::string(4000, 'x') + R"("}]})").as_object();  // ~1,000 + 300 tokens: ~$0.019
  auto first = g.admit(&k.entries[0], big);
  BOOST_REQUIRE(first.ticket);
  int refused = 0;
  for (int i = 0; i < 29; ++i) {
    auto a = g.admit(&k.entries[0], big);
    if (a.refused) {
      ++refused;
      BOOST_TEST((a.refused->code == errc::budget_exceeded));
      BOOST_TEST(a.refused->message.find("requests in flight") != std::string::npos, a.refused->message);
      BOOST_TEST(a.refused->retry_after == "1");
    }
  }
  BOOST_TEST(refused == 29);
  first.ticket->finish(Usage{}, 0);  // it cost nothing after all: its reservation goes
  auto again = g.admit(&k.entries[0], big);
  BOOST_TEST(!again.refused);
}

BOOST_AUTO_TEST_CASE(the_estimate_counts_tools_system_and_every_text_but_not_an_images_bytes) {
  // tokens_per_minute = 1,000 let five requests with ~360 KB of tools through: only messages' text was counted.
  const std::string schema(4000, 'p');
  const auto tools = boost::json::parse(R"({"model":"m","max_tokens":1,"messages":[{"role":"user","content":"hi"}],
      "tools":[{"type":"function","function":{"name":"f","description":")" + schema + R"(","parameters":{"type":"object"}}}]})").as_object();
  BOOST_TEST(estimate_prompt_tokens(tools) >= 1000u);
  const auto system = boost::json::parse(R"({"model":"m","system":")" + schema + R"(","messages":[{"role":"user","content":"hi"}]})").as_object();
  BOOST_TEST(estimate_prompt_tokens(system) >= 1000u);
  const auto responses = boost::json::parse(R"({"model":"m","instructions":")" + schema + R"(","input":[{"role":"user","content":"x"}]})").as_object();
  BOOST_TEST(estimate_prompt_tokens(responses) >= 1000u);
  const auto calls = boost::json::parse(R"({"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"function",
      "function":{"name":"f","arguments":")" + schema + R"("}}]}]})").as_object();
  BOOST_TEST(estimate_prompt_tokens(calls) >= 1000u);
  // A 400 KB inline image is about a thousand tokens, not 100,000.
  const auto image = boost::json::parse(R"({"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,)" +
                                        std::string(400'000, 'A') + R"("}}]}]})").as_object();
  BOOST_TEST(estimate_prompt_tokens(image) >= 900u);
  BOOST_TEST(estimate_prompt_tokens(image) <= 1100u);
  LimitsConfig limits;
  limits.tokens_per_minute = 1000;
  Keys k(limits);
  auto g = k.governor();
  BOOST_TEST(g.admit(&k.entries[0], tools).refused.has_value());  // more than the whole minute
}

BOOST_AUTO_TEST_CASE(a_restart_restores_the_hour_so_that_no_client_waits_past_it) {
  // After a restart at half past the hour, a key at its requests_per_hour limit was told
  // Retry-After: 3612 and 4056: everything restored counted as used at the restart.
  LimitsConfig limits;
  limits.requests_per_hour = 10;
  for (const Ms offset : {Ms{3 * 60'000}, Ms{15 * 60'000}, Ms{31 * 60'000}, Ms{47 * 60'000}, Ms{59 * 60'000 + 30'000}}) {
    BOOST_TEST_CONTEXT("restart " << offset / 60'000 << " min past the hour") {
      Keys k(limits);
      k.now = 1'764'547'200'000 + 5 * 3'600'000 + offset;
      // The ledger: ten admitted requests 40 minutes before the restart.
      const Ms used_at = k.now - 40 * 60'000;
      auto g = k.governor();
      g.restore([&](Ms from, Ms to, Level level) {
        std::map<std::string, Governor::KeyUsage> out;
        if (level == Level::key && used_at >= from && used_at < to) out["team-a"] = Governor::KeyUsage{10, 0, 0};
        return out;
      });
      auto refused = g.admit(&k.entries[0], body);
      BOOST_REQUIRE(refused.refused.has_value());
      const int wait = std::stoi(refused.refused->retry_after);
      BOOST_TEST(wait <= 20 * 60 + 1);  // they leave an hour after they were made: in 20 minutes
      BOOST_TEST(wait >= 19 * 60);
      k.now += static_cast<Ms>(wait) * 1000;
      BOOST_TEST(!g.admit(&k.entries[0], body).refused);
    }
  }
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

// A worker that has not installed the new configuration yet admits through the old governor:
// a key the reload gave limits (none before) counts those requests against its new limits.
BOOST_AUTO_TEST_CASE(a_request_admitted_through_the_old_configuration_counts_against_the_new_limits) {
  Keys before(LimitsConfig{});
  auto old_gov = before.governor();
  BOOST_TEST(!old_gov.admit(&before.entries[0], body).ticket);  // unlimited: nothing taken
  Keys after(LimitsConfig{.requests_per_minute = 3});
  after.now = before.now;
  auto next = after.governor();
  next.adopt(old_gov);
  for (int i = 0; i < 2; ++i) BOOST_TEST(!old_gov.admit(&before.entries[0], body).refused);  // counted in the new state
  BOOST_TEST(!next.admit(&after.entries[0], body).refused);
  BOOST_TEST(next.admit(&after.entries[0], body).refused.has_value());  // 2 + 1: the new limit, whoever admitted
  BOOST_TEST(old_gov.admit(&before.entries[0], body).refused.has_value());
}

BOOST_AUTO_TEST_CASE(requests_running_across_a_reload_keep_their_slots_and_their_spend_counts) {
  // concurrent = 1 became 3 running after a reload changed the key's limits while its
  // streams ran, and the spend of those streams was lost from the budget.
  LimitsConfig one;
  one.concurrent = 1;
  Keys k(one, BudgetConfig{10.0, BudgetPeriod::day});
  auto old_gov = k.governor();
  auto running = old_gov.admit(&k.entries[0], body);
  BOOST_REQUIRE(running.ticket);
  LimitsConfig changed_limits;
  changed_limits.concurrent = 1;
  changed_limits.requests_per_minute = 100;  // changed: a new state for the key
  Keys changed(changed_limits, BudgetConfig{10.0, BudgetPeriod::day});
  changed.now = k.now;
  auto next = changed.governor();
  next.adopt(old_gov);
  BOOST_TEST(next.admit(&changed.entries[0], body).refused.has_value());  // the running stream still holds the one slot
  running.ticket->finish(Usage{.prompt_tokens = 10, .completion_tokens = 10}, 2.5);  // it ends after the reload
  BOOST_TEST(next.status(changed.entries[0]).at("budget").at("spent_usd").as_double() == 2.5);  // its spend counts
  BOOST_TEST(!next.admit(&changed.entries[0], body).refused);  // and its slot is free again
}

BOOST_AUTO_TEST_SUITE_END()
