#include <boost/test/unit_test.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <unistd.h>

#include <filesystem>
#include <thread>

#include "ledger/usage_ledger.hpp"
#include "support/async.hpp"

// The usage ledger alone: rows in, totals out, a full queue dropping rows (never blocking).

using namespace switchyard;
using namespace switchyard::ledger;

namespace {
UsageRow row(Ms t, std::string_view key, std::string_view route, int status, double cost) {
  UsageRow r;
  r.time_ms = t;
  r.request_id = "req";
  r.key = key;
  r.route = route;
  r.provider = "oai";
  r.model = "gpt-4o-mini";
  r.status = status;
  r.prompt_tokens = 10;
  r.cached_tokens = 4;
  r.completion_tokens = 5;
  r.reasoning_tokens = 1;
  r.cost_usd = cost;
  return r;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(usage_ledger)

BOOST_AUTO_TEST_CASE(rows_are_totalled_by_group_over_a_time_range) {
  boost::asio::io_context ioc;
  UsageConfig c;                // in memory
  c.retention_days = 36'500;    // the rows below are dated 2024: not pruned
  UsageLedger ledger(ioc.get_executor(), c);
  const Ms day = 86'400'000, t0 = 20'000 * day;
  BOOST_TEST(ledger.record(row(t0 + 1, "team-a", "fast", 200, 0.5)));
  BOOST_TEST(ledger.record(row(t0 + 2, "team-a", "smart", 502, 0)));
  BOOST_TEST(ledger.record(row(t0 + day + 3, "team-b", "fast", 200, 0.25)));
  BOOST_TEST(ledger.record(row(t0 - 5, "team-a", "fast", 200, 9.0)));  // before the range
  auto by_key = ledger.totals_now(t0, t0 + 2 * day, GroupBy::key, {});
  BOOST_REQUIRE_EQUAL(by_key.size(), 2u);
  BOOST_TEST(by_key[0].group == "team-a");
  BOOST_TEST(by_key[0].requests == 2u);
  BOOST_TEST(by_key[0].errors == 1u);
  BOOST_TEST(by_key[0].prompt_tokens == 20);
  BOOST_TEST(by_key[0].cached_tokens == 8);
  BOOST_TEST(by_key[0].reasoning_tokens == 2);
  BOOST_TEST(by_key[0].cost_usd == 0.5);
  auto by_day = ledger.totals_now(t0, t0 + 2 * day, GroupBy::day, {});
  BOOST_REQUIRE_EQUAL(by_day.size(), 2u);
  BOOST_TEST(by_day[0].group == "2024-10-04");
  auto found = test::run_async<std::optional<std::vector<UsageTotals>>>(ioc, ledger.totals(0, t0 + 2 * day, GroupBy::route, "team-a"),
                                                                        std::chrono::seconds(5));
  BOOST_REQUIRE(found);
  const auto& one_key = *found;
  BOOST_REQUIRE_EQUAL(one_key.size(), 2u);
  BOOST_TEST(one_key[0].group == "fast");
  BOOST_TEST(one_key[0].cost_usd == 9.5);
  BOOST_TEST(ledger.written() == 4u);
  BOOST_TEST(ledger.dropped() == 0u);
}

BOOST_AUTO_TEST_CASE(a_full_queue_drops_rows_and_counts_them_instead_of_waiting) {
  boost::asio::io_context ioc;
  UsageConfig c;
  c.queue_rows = 16;
  c.retention_days = 36'500;
  UsageLedger ledger(ioc.get_executor(), c);
  int accepted = 0;
  for (int i = 0; i < 100'000; ++i) accepted += ledger.record(row(i, "k", "r", 200, 0)) ? 1 : 0;
  // The writer empties the ring every 10 ms; 100,000 rows in a tight loop overrun 16 slots.
  BOOST_TEST(ledger.dropped() > 0u);
  BOOST_TEST(ledger.dropped() + static_cast<std::uint64_t>(accepted) == 100'000u);
  const auto all = ledger.totals_now(0, 1'000'000, GroupBy::key, {});
  BOOST_REQUIRE_EQUAL(all.size(), 1u);
  BOOST_TEST(all[0].requests == static_cast<std::uint64_t>(accepted));  // every accepted row was written
}

BOOST_AUTO_TEST_CASE(text_longer_than_its_column_is_cut_not_overflowed) {
  boost::asio::io_context ioc;
  UsageConfig c;
  c.retention_days = 36'500;
  UsageLedger ledger(ioc.get_executor(), c);
  const std::string long_route(1000, 'r');
  BOOST_TEST(ledger.record(row(1, "k", long_route, 200, 0)));
  const auto all = ledger.totals_now(0, 10, GroupBy::route, {});
  BOOST_REQUIRE_EQUAL(all.size(), 1u);
  BOOST_TEST(all[0].group == std::string(256, 'r'));
}

BOOST_AUTO_TEST_CASE(rows_older_than_the_retention_are_pruned) {
  boost::asio::io_context ioc;
  UsageConfig c;
  c.retention_days = 90;
  UsageLedger ledger(ioc.get_executor(), c);
  const Ms now = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  const Ms day = 86'400'000;
  ledger.record(row(now - 91 * day, "old", "r", 200, 1));
  ledger.record(row(now - 89 * day, "recent", "r", 200, 1));
  // The writer prunes as soon as rows are written (before it runs any query), then hourly:
  // the first query already sees the recent row only, however long the machine has been up.
  const auto all = ledger.totals_now(0, now, GroupBy::key, {});
  BOOST_REQUIRE_EQUAL(all.size(), 1u);
  BOOST_TEST(all[0].group == "recent");
}

BOOST_AUTO_TEST_CASE(the_first_prune_is_due_at_once_even_just_after_a_boot) {
  // steady_clock counts from the boot: a schedule that starts at time_point{}
  // and waits an hour pruned nothing during a machine's first hour.
  using namespace std::chrono_literals;
  PruneSchedule schedule(1h);
  const auto booted = PruneSchedule::Clock::time_point{} + 5min;
  BOOST_TEST(schedule.due(booted));
  schedule.done(booted);
  BOOST_TEST(!schedule.due(booted + 59min));
  BOOST_TEST(schedule.due(booted + 1h));
}

BOOST_AUTO_TEST_CASE(a_ledger_in_memory_keeps_its_newest_rows_only) {
  // Without a file every row would stay in RAM for the retention period (a
  // soak at 30,000 requests/s grew by ~5 MB/s): the newest memory_rows stay.
  boost::asio::io_context ioc;
  UsageConfig c;  // in memory
  c.memory_rows = 1000;
  c.queue_rows = 8192;
  UsageLedger ledger(ioc.get_executor(), c);
  const Ms now = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  for (int i = 0; i < 3000; ++i) BOOST_REQUIRE(ledger.record(row(now - 3000 + i, i < 2000 ? "old" : "new", "r", 200, 1)));
  // The writer trims once a second: bounded polling, no sleep.
  std::uint64_t kept = 0;
  for (int i = 0; i < 3000; ++i) {
    kept = 0;
    for (const auto& t : ledger.totals_now(0, now + 1, GroupBy::key, {})) kept += t.requests;
    if (kept == 1000u) break;
  }
  BOOST_TEST(kept == 1000u);
  const auto by_key = ledger.totals_now(0, now + 1, GroupBy::key, {});
  BOOST_REQUIRE_EQUAL(by_key.size(), 1u);
  BOOST_TEST(by_key[0].group == "new");
}

BOOST_AUTO_TEST_CASE(usage_queries_never_hold_the_writer_back_and_too_many_are_refused) {
  // 16 clients polling usage over 200k rows (0.23 s each, on the writer's thread) made
  // the ledger drop 25,808 of 42,000 real rows.
  const auto path = std::filesystem::temp_directory_path() / ("switchyard-ledger-q-" + std::to_string(::getpid()) + ".db");
  std::filesystem::remove(path);
  boost::asio::io_context ioc;
  UsageConfig c;
  c.path = path.string();
  c.retention_days = 36'500;
  // Half the live rows below: a writer held back by the queries (seconds) would drop ~2,000 of them,
  // while a writer descheduled for ~200 ms on a loaded machine (the suite runs two tests at once) drops none.
  c.queue_rows = 2048;
  UsageLedger ledger(ioc.get_executor(), c);
  const auto fill_from = std::chrono::steady_clock::now();
  for (int i = 0; i < 60'000; ++i) {
    while (!ledger.record(row(1'000 + i, i % 2 ? "a" : "b", i % 3 ? "fast" : "smart", 200, 0.001))) {
      std::this_thread::yield();  // filling the file: the writer catches up
    }
  }
  BOOST_TEST_MESSAGE("filled in " << std::chrono::duration<double>(std::chrono::steady_clock::now() - fill_from).count() << " s");
  const auto before = ledger.dropped();
  BOOST_REQUIRE(before > 0u || ledger.written() > 0u);
  std::uint64_t recorded = 0, refused = 0, answered = 0;
  test::run_async(ioc, [&]() -> boost::asio::awaitable<void> {
    auto ex = co_await boost::asio::this_coro::executor;
    int done = 0;
    for (int q = 0; q < 16; ++q) {  // at most kMaxQueuedQueries wait: the others are refused at once
      boost::asio::co_spawn(ex, ledger.totals(0, 10'000'000, GroupBy::route, {}), [&](std::exception_ptr, std::optional<std::vector<UsageTotals>> r) {
        (r ? answered : refused) += 1;
        ++done;
      });
    }
    // Meanwhile, real traffic: 4,000 rows over ~0.4 s, twice the queue.
    boost::asio::steady_timer pace(ex);
    for (int i = 0; i < 400; ++i) {
      for (int j = 0; j < 10; ++j) recorded += ledger.record(row(20'000'000 + i * 10 + j, "live", "fast", 200, 0.01)) ? 1 : 0;
      pace.expires_after(std::chrono::milliseconds(1));
      co_await pace.async_wait(boost::asio::use_awaitable);
    }
    co_await test::eventually([&] { return done == 16; }, std::chrono::seconds(30));
  }(), std::chrono::seconds(60));
  BOOST_TEST(recorded == 4000u);                    // no live row was dropped
  BOOST_TEST(ledger.dropped() == before);
  BOOST_TEST(refused >= 16u - UsageLedger::kMaxQueuedQueries);
  BOOST_TEST(answered >= 1u);
  BOOST_TEST(ledger.queries_refused() == refused);
  const auto live = ledger.totals_now(20'000'000, 30'000'000, GroupBy::key, {});
  BOOST_REQUIRE_EQUAL(live.size(), 1u);
  BOOST_TEST(live[0].requests == 4000u);
  std::filesystem::remove(path);
}

BOOST_AUTO_TEST_SUITE_END()
