// The state every worker reactor shares, hammered from several threads at
// once under ThreadSanitizer (scripts/tsan.sh builds these components alone
// with -fsanitize=thread): a key's limits and budget, the health table, a
// target's breaker and quota, the cache's store and the board of fetches in
// flight, the ledger's rings, the front-end's memory budgets, and a reload
// (a new configuration adopting the running one's counters) while requests
// keep coming. Each test also checks the figures are exact.
#define BOOST_TEST_MODULE concurrency_tsan
#include <boost/test/unit_test.hpp>

#include "providers/key_pool.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include <atomic>
#include <barrier>
#include <functional>
#include <thread>
#include <vector>

#include "auth/key_store.hpp"
#include "cache/flight_board.hpp"
#include "cache/sharded_store.hpp"
#include "governance/governor.hpp"
#include "health/health_table.hpp"
#include "ledger/usage_ledger.hpp"
#include "routing/target_registry.hpp"
#include "server/memory_budget.hpp"
#include "telemetry/span_queue.hpp"

using namespace switchyard;

namespace {
constexpr int kThreads = 4;

// Runs f(i) on kThreads threads released together.
void together(const std::function<void(int)>& f) {
  std::barrier start(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      f(i);
    });
  }
  for (auto& t : threads) t.join();
}

const boost::json::object& chat_body() {
  static const boost::json::object body = boost::json::parse(R"({"model":"fast","messages":[{"role":"user","content":"hi"}],"max_tokens":10})").as_object();
  return body;
}

KeyConfig key_with(LimitsConfig limits, std::optional<BudgetConfig> budget = std::nullopt) {
  KeyConfig k;
  k.name = "k";
  k.key = "sy-k";
  k.limits = limits;
  k.budget = budget;
  return k;
}
}  // namespace

BOOST_AUTO_TEST_CASE(four_threads_admitting_one_key_take_exactly_its_limit) {
  std::vector<KeyConfig> keys{key_with(LimitsConfig{.requests_per_minute = 100, .concurrent = 1000})};
  governance::Governor governor(keys, [] { return governance::Ms{1'000'000}; });
  const auth::KeyEntry entry{"k", {}, 0};
  std::atomic<int> admitted{0}, refused{0};
  together([&](int) {
    std::vector<std::shared_ptr<AdmissionTicket>> held;
    for (int i = 0; i < 100; ++i) {
      auto a = governor.admit(&entry, chat_body());
      if (a.refused) ++refused;
      else ++admitted, held.push_back(a.ticket);
      if (held.size() > 3) {  // tickets end on this thread while others admit
        held.front()->finish(Usage{}, 0);
        held.erase(held.begin());
      }
    }
  });
  BOOST_TEST(admitted.load() == 100);
  BOOST_TEST(refused.load() == 300);
}

// Four keys of one team on four threads, each for users of its own and one user they all
// share: the team's limit and the shared user's are exact; the user table grows while read.
BOOST_AUTO_TEST_CASE(four_threads_admitting_one_team_and_its_users_take_exactly_their_limits) {
  std::vector<KeyConfig> keys;
  std::vector<TeamConfig> teams{TeamConfig{"t", {}, LimitsConfig{.requests_per_minute = 200}, std::nullopt,
                                           LimitsConfig{.requests_per_minute = 20}, std::nullopt}};
  std::vector<auth::KeyEntry> entries;
  for (int i = 0; i < 4; ++i) {
    keys.push_back(key_with(LimitsConfig{}));
    keys.back().name = "k" + std::to_string(i);
    keys.back().team = "t";
  }
  for (std::size_t i = 0; i < keys.size(); ++i) {
    auth::KeyEntry e{keys[i].name, {}, i};
    e.team = "t";
    e.team_index = 0;
    entries.push_back(e);
  }
  governance::Governor governor(keys, teams, [] { return governance::Ms{1'000'000}; });
  std::atomic<int> admitted{0}, shared_user{0};
  together([&](int t) {
    for (int i = 0; i < 100; ++i) {
      const bool shared = i % 2 == 0;
      const std::string user = shared ? "everyone" : "u" + std::to_string(t) + "-" + std::to_string(i);
      auto a = governor.admit(&entries[static_cast<std::size_t>(t)], chat_body(), user);
      if (a.refused) continue;
      ++admitted;
      if (shared) ++shared_user;
      a.ticket->finish(Usage{}, 0);
    }
  });
  BOOST_TEST(admitted.load() == 200);      // the team's 200 a minute, over its four keys
  BOOST_TEST(shared_user.load() == 20);    // the one user's 20, over four keys and threads
}

BOOST_AUTO_TEST_CASE(a_budget_spent_from_four_threads_is_spent_once) {
  TargetConfig prices;
  prices.output_price = 100'000;  // $0.10 an output token: max_tokens 10 reserves $1 a request
  std::vector<KeyConfig> keys{key_with(LimitsConfig{}, BudgetConfig{50.0, BudgetPeriod::total})};
  governance::Governor governor(keys, [] { return governance::Ms{1'000'000}; });
  governor.set_pricer([&](std::string_view) { return &prices; });
  const auth::KeyEntry entry{"k", {}, 0};
  std::atomic<int> admitted{0};
  together([&](int) {
    for (int i = 0; i < 100; ++i) {
      auto a = governor.admit(&entry, chat_body());
      if (a.refused) continue;
      ++admitted;
      Usage used;
      used.completion_tokens = 10;
      a.ticket->finish(used, 1.0);  // $1 an answer, as reserved
    }
  });
  const auto status = governor.status(entry);
  const double spent = status.at("budget").at("spent_usd").as_double();
  BOOST_TEST(spent == static_cast<double>(admitted.load()));
  BOOST_TEST(spent <= 50.0);  // never past it: what is in flight is reserved at admission
  BOOST_TEST(admitted.load() >= 1);
}

BOOST_AUTO_TEST_CASE(a_reload_adopting_a_key_while_four_threads_admit_loses_nothing) {
  std::vector<KeyConfig> keys{key_with(LimitsConfig{.requests_per_minute = 1000})};
  std::vector<KeyConfig> changed{key_with(LimitsConfig{.requests_per_minute = 800})};
  auto old_governor = std::make_unique<governance::Governor>(keys, [] { return governance::Ms{1'000'000}; });
  governance::Governor next(changed, [] { return governance::Ms{1'000'000}; });
  const auth::KeyEntry entry{"k", {}, 0};
  std::atomic<int> admitted{0};
  together([&](int i) {
    if (i == 0) {
      next.adopt(*old_governor);  // the reload, on the main thread in the daemon
      return;
    }
    for (int n = 0; n < 200; ++n) {
      auto a = old_governor->admit(&entry, chat_body());
      if (!a.refused) ++admitted, a.ticket->finish(Usage{}, 0);
    }
  });
  // What the old configuration admitted counts against the new limit.
  int more = 0;
  for (int n = 0; n < 1000; ++n) more += next.admit(&entry, chat_body()).refused ? 0 : 1;
  BOOST_TEST(admitted.load() == 600);
  BOOST_TEST(more + admitted.load() == 800);  // exactly the new limit, whenever each admission came
}

BOOST_AUTO_TEST_CASE(the_health_table_counts_every_outcome_from_four_threads) {
  health::HealthTable table;
  auto* slot = table.slot("p", "m");
  const auto now = std::chrono::steady_clock::now();
  together([&](int i) {
    for (int n = 0; n < 20'000; ++n) {
      slot->on_start();
      if ((n + i) % 4 == 0) slot->on_failure(now, false, std::nullopt);
      else slot->on_success(now, 10.0, std::nullopt);
      slot->on_finish();
      if (n % 1000 == 0) (void)table.slot("p", "m" + std::to_string(i));  // slots made while others count
    }
  });
  const auto s = slot->snapshot(now);
  BOOST_TEST(s.requests == 80'000u);
  BOOST_TEST(s.errors == 20'000u);
  BOOST_TEST(s.in_flight == 0);
  BOOST_TEST(s.ewma_latency_ms == 10.0);
}

BOOST_AUTO_TEST_CASE(a_breaker_fed_by_four_threads_opens_once_and_a_quota_is_exact) {
  Config config;
  ProviderConfig p;
  p.name = "p";
  p.base_url = "http://127.0.0.1:1/v1";
  config.providers.push_back(p);
  ModelRouteConfig route{"fast", Strategy::failover, {TargetConfig{"p", "m"}}};
  route.targets[0].limits.requests_per_minute = 1000;
  config.models.push_back(route);
  config.resilience.breaker_failures = 5;
  routing::TargetRegistry registry(config);
  routing::Target target{0, "m", &config.models[0].targets[0]};
  routing::TargetState* st = nullptr;
  {
    auto held = registry.lock();
    st = registry.state_for(target);
  }
  BOOST_REQUIRE(st);
  std::atomic<int> quota_taken{0};
  together([&](int) {
    for (int n = 0; n < 500; ++n) {
      const auto now = std::chrono::steady_clock::now();
      result<routing::QuotaHold> hold = make_error(errc::internal, "none");
      {
        auto held = routing::lock_state(*st);
        hold = routing::TargetRegistry::take_quota(*st, 10, 1'000'000);
      }
      if (hold) ++quota_taken, hold->finish(10);
      st->health->on_failure(now, false, std::nullopt);
      auto held = routing::lock_state(*st);
      st->breaker.on_failure(now);
    }
  });
  {
    auto held = routing::lock_state(*st);
    BOOST_TEST(st->breaker.opens() == 1u);
  }
  BOOST_TEST(quota_taken.load() == 1000);
  // A reload's registry adopting this one while the threads still report.
  Config next = config;
  std::size_t adopted_targets = 0;
  together([&](int i) {
    if (i == 0) {
      routing::TargetRegistry adopted(next, &registry);
      adopted_targets = adopted.status().size();
      return;
    }
    for (int n = 0; n < 200; ++n) {
      auto held = routing::lock_state(*st);
      st->breaker.on_failure(std::chrono::steady_clock::now());
    }
  });
  BOOST_TEST(adopted_targets == 1u);
}

BOOST_AUTO_TEST_CASE(the_sharded_store_takes_puts_and_finds_from_four_threads) {
  cache::ShardedStore store(64 * 1024 * 1024, 16);
  std::atomic<int> wrong{0};  // (Boost.Test's checks are for the main thread)
  together([&](int i) {
    for (int n = 0; n < 2'000; ++n) {
      const std::string key = "k" + std::to_string(n % 500);
      if ((n + i) % 3 == 0) {
        cache::CachedEntry e;
        e.body = "answer " + key;
        e.stored_ms = 1000;
        e.ttl_ms = 1'000'000;
        store.put(key, std::move(e));
      } else if (auto hit = store.find(key, 2000)) {
        if (hit->body != "answer " + key) ++wrong;
      }
    }
  });
  BOOST_TEST(wrong.load() == 0);
  BOOST_TEST(store.entries() == 500u);
  BOOST_TEST(store.bytes() > 0u);
}

BOOST_AUTO_TEST_CASE(one_thread_claims_a_fetch_and_the_waiters_on_other_loops_wake) {
  cache::FlightBoard board;
  std::atomic<int> claimed{0};
  together([&](int) { claimed += board.claim("k") ? 1 : 0; });
  BOOST_TEST(claimed.load() == 1);
  std::vector<std::unique_ptr<boost::asio::io_context>> loops;
  std::vector<std::future<cache::FlightBoard::Outcome>> waits;
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) {
    loops.push_back(std::make_unique<boost::asio::io_context>(1));
    waits.push_back(boost::asio::co_spawn(*loops.back(), board.wait("k"), boost::asio::use_future));
    threads.emplace_back([l = loops.back().get()] { l->run(); });
  }
  while (board.in_flight() == 1) {  // the waiters registered (or the fetch would have ended)
    const auto e = make_error(errc::upstream_connect, "the provider is down");
    board.end("k", &e);
  }
  for (auto& w : waits) {
    const auto outcome = w.get();
    BOOST_TEST((outcome.how == cache::FlightBoard::Outcome::How::ended));
  }
  for (auto& t : threads) t.join();
}

BOOST_AUTO_TEST_CASE(four_producers_fill_their_own_ledger_rings_and_every_row_is_written) {
  boost::asio::io_context io;
  UsageConfig config;
  config.path = "";  // in memory
  config.queue_rows = 100'000;
  ledger::UsageLedger ledger(io.get_executor(), config, kThreads);
  std::atomic<int> refused{0};
  together([&](int i) {
    const std::string key = "k" + std::to_string(i);
    for (int n = 0; n < 2'000; ++n) {
      ledger::UsageRow row;
      row.time_ms = 1000 + n;
      row.key = key;
      row.status = 200;
      if (!ledger.record(row, static_cast<std::size_t>(i))) ++refused;
    }
  });
  boost::asio::co_spawn(io, ledger.flush(), boost::asio::detached);
  io.run();
  BOOST_TEST(refused.load() == 0);
  BOOST_TEST(ledger.written() == 8'000u);
  BOOST_TEST(ledger.dropped() == 0u);
}

BOOST_AUTO_TEST_CASE(memory_budgets_shared_by_four_threads_never_pass_their_limit) {
  server::MemoryBudget budget(1000);
  std::atomic<std::size_t> peak{0};
  together([&](int) {
    for (int n = 0; n < 10'000; ++n) {
      if (!budget.try_take(100)) continue;
      const auto used = budget.used();
      std::size_t seen = peak.load();
      while (used > seen && !peak.compare_exchange_weak(seen, used)) {
      }
      budget.give_back(100);
    }
  });
  BOOST_TEST(peak.load() <= 1000u);
  BOOST_TEST(budget.used() == 0u);
}

BOOST_AUTO_TEST_CASE(a_key_pool_shared_by_four_workers_counts_every_pick_and_limit) {
  ProviderKey limited{"sk-limited"};
  limited.limits.requests_per_minute = 100;
  providers::KeyPool pool({ProviderKey{"sk-a", 2}, limited, ProviderKey{"sk-refused"}});
  std::atomic<int> picks{0}, on_limited{0};
  together([&](int t) {
    for (int i = 0; i < 500; ++i) {
      const std::int64_t now = 1'000'000 + i;
      auto p = pool.pick(now, 0, 10);
      if (!p) continue;
      ++picks;
      if (p->index == 1) ++on_limited;
      if (p->index == 2) pool.refused(2, now);  // workers refuse the same key at once
      if (t == 0 && i % 50 == 0) (void)pool.view(now);
    }
  });
  BOOST_TEST(picks.load() == 2000);
  BOOST_TEST(on_limited.load() <= 100);  // its limit, whatever thread picked
  const auto v = pool.view(1'000'600);
  BOOST_TEST(v[0].requests + v[1].requests + v[2].requests == 2000u);
  BOOST_TEST(v[2].state == "set_aside");
}

// The trace exporter's queue: four reactors push spans while the exporter's thread pops; every
// span is either taken once, whole, or refused (counted dropped), never lost or torn.
BOOST_AUTO_TEST_CASE(four_threads_pushing_spans_while_one_pops_lose_and_tear_nothing) {
  telemetry::SpanQueue queue(1024);
  constexpr int kPerThread = 20'000;
  std::atomic<int> pushed{0}, dropped{0};
  std::atomic<bool> done{false};
  std::vector<int> seen(4 * kPerThread, 0);
  bool torn = false;  // the consumer's (Boost.Test's checks are the main thread's)
  std::thread consumer([&] {
    for (;;) {
      auto s = queue.pop();
      if (!s) {
        if (done.load()) {
          while (auto rest = queue.pop()) ++seen.at(static_cast<std::size_t>(rest->id));
          return;
        }
        std::this_thread::yield();
        continue;
      }
      torn = torn || s->name != std::to_string(s->id);  // whole: written before it was published
      ++seen.at(static_cast<std::size_t>(s->id));
    }
  });
  std::vector<std::thread> producers;
  for (int t = 0; t < 4; ++t) {
    producers.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        telemetry::Span s;
        s.id = static_cast<telemetry::SpanId>(t * kPerThread + i);
        s.name = std::to_string(s.id);
        if (queue.push(std::move(s))) ++pushed;
        else ++dropped;
      }
    });
  }
  for (auto& p : producers) p.join();
  done = true;
  consumer.join();
  BOOST_TEST(!torn);
  int taken = 0;
  for (int n : seen) {
    BOOST_REQUIRE(n <= 1);
    taken += n;
  }
  BOOST_TEST(taken == pushed.load());
  BOOST_TEST(pushed.load() + dropped.load() == 4 * kPerThread);
}
