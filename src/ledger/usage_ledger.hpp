#pragma once
// The usage ledger: one row per request in SQLite (WAL mode), written by one
// writer thread in batched transactions. The io_context never waits on it:
// record() copies the row into a fixed ring (no allocation, no lock: one
// ring per producer, each worker reactor; one consumer, the writer, which
// drains every ring) and returns; a full ring drops the row and counts it. Queries (the usage API, the dashboard) run on
// a reader thread with a connection of its own (SQLite's WAL lets it read
// while the writer writes), so a slow query never holds rows back; at most
// kMaxQueuedQueries wait at once (more are refused: the usage API answers
// 503). A ledger in memory (path "") has one connection: its queries run on
// the writer between batches (its rows are bounded by memory_rows).
// Restoring spend and windows at startup reads on the writer before serving.
#include <switchyard/config.hpp>
#include <switchyard/usage_totals.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/json/array.hpp>

#include "ledger/ledger.hpp"
#include "ledger/prune_schedule.hpp"

struct sqlite3;

namespace switchyard::ledger {
struct RowRing;
}

namespace switchyard::ledger {

class UsageLedger final : public Ledger {
 public:
  // Opens (creates) the database and starts the writer thread. Throws
  // std::runtime_error when the file cannot be opened (startup error).
  // `producers`: how many threads record rows (each with its own ring of queue_rows).
  UsageLedger(boost::asio::any_io_executor ex, const UsageConfig& config, std::size_t producers = 1);
  ~UsageLedger();  // writes what is queued, then stops
  UsageLedger(const UsageLedger&) = delete;
  UsageLedger& operator=(const UsageLedger&) = delete;

  // Queues a row in producer `ring`'s ring (one thread per ring); false when it is full (the row is dropped and counted).
  bool record(const UsageRow& row, std::size_t ring = 0) noexcept override;
  std::uint64_t dropped() const noexcept override { return dropped_.load(std::memory_order_relaxed); }
  std::uint64_t written() const noexcept override { return written_.load(std::memory_order_relaxed); }

  // Totals over [from, to) grouped; key_filter non-empty: that key's rows only.
  // Rows recorded before the call are counted. nullopt: kMaxQueuedQueries are
  // waiting already, or the answer took over 30 s.
  boost::asio::awaitable<std::optional<std::vector<UsageTotals>>> totals(Ms from, Ms to, GroupBy group, std::string key_filter) override;
  // The newest `limit` rows (at most 1,000), newest first: {time_ms, request_id, key, route, provider, model,
  // status, stream, prompt_tokens, completion_tokens, cost_usd, latency_ms, cache, error}. Empty when busy.
  boost::asio::awaitable<boost::json::array> recent(std::size_t limit) override;
  boost::asio::awaitable<std::optional<SlaReport>> sla(Ms from, Ms to, SlaGroup group) override;
  std::uint64_t queries_refused() const noexcept override { return queries_refused_.load(std::memory_order_relaxed); }
  // The same, blocking (startup: restoring budgets and windows before serving).
  std::vector<UsageTotals> totals_now(Ms from, Ms to, GroupBy group, const std::string& key_filter) override;
  // Waits until every row queued so far is written (tests, shutdown).
  boost::asio::awaitable<void> flush() override;

 private:
  struct Db;
  void writer_loop();
  std::size_t drain();
  void write_ring(RowRing& ring, std::uint64_t tail);
  void run_jobs();
  void prune_if_due();  // the writer thread's
  // Queues a query for the reader (the writer, in memory); false when too many wait.
  bool submit_query(std::function<void(sqlite3*)> job);
  void reader_loop();
  struct Reader;

  boost::asio::any_io_executor ex_;
  UsageConfig config_;
  std::unique_ptr<Db> db_;
  std::vector<std::unique_ptr<RowRing>> rings_;
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::uint64_t> written_{0};
  std::atomic<std::size_t> queued_queries_{0};
  std::atomic<std::uint64_t> queries_refused_{0};
  std::atomic<bool> stopping_{false};
  PruneSchedule prune_{std::chrono::hours(1)};  // the writer thread's
  struct Jobs;
  std::unique_ptr<Jobs> jobs_;
  std::thread writer_;
  std::unique_ptr<Reader> reader_;  // null for a ledger in memory
};

}  // namespace switchyard::ledger
