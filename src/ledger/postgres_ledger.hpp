#pragma once
// The usage ledger in PostgreSQL ([store] backend = "postgres"): one table
// (sy_usage) for every replica, so /admin/usage, /v1/usage, the dashboard
// and the budgets restored at start read one truth.
//
// Rows go from the request path into fixed rings (ledger/row_ring: no lock,
// no allocation), exactly as with SQLite. The shipper, a coroutine on the
// gateway's main io_context, drains the rings every 10 ms (100 ms when idle)
// into batches of up to 1,000 rows (a JSON array each); three senders, each
// on a connection of its own, insert a batch in one statement
// (json_populate_recordset) through libpq's asynchronous API
// (postgres/pg_connection), never blocking a thread.
// Each row carries its own id (this process's random instance id and a
// sequence number), and the insert skips ids the table has (ON CONFLICT DO
// NOTHING): a batch sent twice (its answer lost with the connection) is
// written once.
//
// The database away (or slow past the statement timeout): batches go to the
// spool directory (ledger/ledger_spool, bounded by spool_max_bytes; beyond,
// rows are dropped and counted), the first sender tries again every second
// and, once it is back, replays the spool oldest first. At most 16 batches
// wait in memory for a sender; more go to the spool (and are replayed). At exit every row not yet
// written is spooled (replayed at the next start, before budgets are
// restored).
#include <switchyard/config.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <atomic>
#include <memory>
#include <mutex>

#include "ledger/ledger.hpp"

namespace switchyard::ledger {

class PostgresLedger final : public Ledger {
 public:
  struct Stats {
    std::atomic<std::uint64_t> spooled_rows{0};        // rows written to the spool
    std::atomic<std::uint64_t> replayed_rows{0};       // rows from the spool now in the database
    std::atomic<std::uint64_t> spool_dropped_rows{0};  // the spool was full (or unwritable): lost, counted
    std::atomic<std::uint64_t> failures{0};            // statements that failed (the database away or refusing)
    std::atomic<std::uint64_t> spool_bytes{0}, spool_rows{0};
    std::atomic<bool> connected{false};
  };

  // Migrates the schema and replays an earlier run's spool (blocking: startup).
  // Throws std::runtime_error when the database cannot be reached.
  PostgresLedger(boost::asio::any_io_executor ex, const UsageConfig& usage, const StoreConfig& store, std::size_t producers);
  ~PostgresLedger() override;  // spools what is not written yet
  PostgresLedger(const PostgresLedger&) = delete;
  PostgresLedger& operator=(const PostgresLedger&) = delete;

  bool record(const UsageRow& row, std::size_t ring = 0) noexcept override;
  std::uint64_t dropped() const noexcept override;
  std::uint64_t written() const noexcept override;
  std::uint64_t queries_refused() const noexcept override;
  boost::asio::awaitable<std::optional<std::vector<UsageTotals>>> totals(Ms from, Ms to, GroupBy group, std::string key_filter) override;
  boost::asio::awaitable<boost::json::array> recent(std::size_t limit) override;
  boost::asio::awaitable<std::optional<SlaReport>> sla(Ms from, Ms to, SlaGroup group) override;
  std::vector<UsageTotals> totals_now(Ms from, Ms to, GroupBy group, const std::string& key_filter) override;
  boost::asio::awaitable<void> flush() override;
  // Writes what is queued (at most 5 s), then ends the shipper and the sender; rows recorded
  // after that (requests still draining) are spooled at destruction, replayed at the next start.
  void shutdown() override;
  // Read every 2 s by the sender while it has nothing to write.
  std::optional<UsageTotals> fleet_today() const override;
  const Stats& stats() const noexcept;

  struct Core;  // (public for the coroutines in the source file)

 private:
  std::shared_ptr<Core> core_;  // shared with the shipper and sender coroutines
};

}  // namespace switchyard::ledger
