// How many usage-ledger rows a second the writer keeps up with:
//   switchyard-ledger-bench [ROWS_PER_SECOND] [SECONDS] [PATH | postgresql://...]
// records rows at that pace (0 = as fast as possible) into a file database,
// or into PostgreSQL (ledger/postgres_ledger: batches through libpq's
// asynchronous API on an io_context, as the gateway runs it), and prints rows
// written, dropped, and the rate reached.
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>

#include "ledger/postgres_ledger.hpp"
#include "ledger/usage_ledger.hpp"

using namespace switchyard;

namespace {
ledger::UsageRow bench_row() {
  ledger::UsageRow row;
  row.request_id = "req_0123456789abcdef0123";
  row.key = "team-a";
  row.route = "fast";
  row.provider = "openai";
  row.model = "gpt-4o-mini";
  row.status = 200;
  row.prompt_tokens = 1200;
  row.completion_tokens = 300;
  row.cost_usd = 0.00036;
  return row;
}

// Records `rate` rows a second (0: as fast as it can) for `seconds` from `t0` into `ledger`.
void record_at_rate(ledger::Ledger& ledger, double rate, double seconds, std::chrono::steady_clock::time_point t0, std::atomic<std::uint64_t>& recorded) {
  auto row = bench_row();
  const auto end = t0 + std::chrono::duration<double>(seconds);
  for (auto now = t0; now < end; now = std::chrono::steady_clock::now()) {
    const double due = rate > 0 ? std::chrono::duration<double>(now - t0).count() * rate : static_cast<double>(recorded + 1000);
    while (static_cast<double>(recorded) < due) {
      row.time_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
      ledger.record(row);
      ++recorded;
    }
    if (rate > 0) std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
}

// Records `rate` rows a second (0: as fast as it can) for `seconds` from its own thread, as a
// reactor would; the io_context runs the shipper and the sender here. Returns when all are written.
int postgres_bench(double rate, double seconds, const std::string& url) {
  boost::asio::io_context ioc;
  UsageConfig config;
  StoreConfig store;
  store.backend = StoreBackend::postgres;
  store.postgres_url = url;
  store.spool_dir = (std::filesystem::temp_directory_path() / "switchyard-ledger-bench-spool").string();
  ledger::PostgresLedger ledger(ioc.get_executor(), config, store, 1);
  std::atomic<std::uint64_t> recorded{0};
  std::atomic<bool> done{false};
  const auto t0 = std::chrono::steady_clock::now();
  std::thread producer([&] {
    record_at_rate(ledger, rate, seconds, t0, recorded);
    done = true;
  });
  const auto limit = t0 + std::chrono::duration<double>(seconds + 60);
  while (!(done && ledger.written() + ledger.dropped() >= recorded) && std::chrono::steady_clock::now() < limit) {
    ioc.run_for(std::chrono::milliseconds(10));
  }
  producer.join();
  const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("postgres: recorded %llu rows over %.2f s (%.0f rows/s asked); all written after %.2f s: %.0f rows/s, dropped %llu, spooled %llu\n",
              static_cast<unsigned long long>(recorded.load()), seconds, rate, total, static_cast<double>(ledger.written()) / total,
              static_cast<unsigned long long>(ledger.dropped()), static_cast<unsigned long long>(ledger.stats().spooled_rows.load()));
  ledger.shutdown();
  ioc.run_for(std::chrono::seconds(2));
  return 0;
}
}  // namespace

int main(int argc, char** argv) {
  const double rate = argc > 1 ? std::stod(argv[1]) : 20000;
  const double seconds = argc > 2 ? std::stod(argv[2]) : 5;
  const std::string path = argc > 3 ? argv[3] : (std::filesystem::temp_directory_path() / "switchyard-ledger-bench.db").string();
  if (path.starts_with("postgresql://") || path.starts_with("postgres://")) return postgres_bench(rate, seconds, path);
  std::filesystem::remove(path);
  boost::asio::io_context ioc;
  UsageConfig config;
  config.path = path;
  std::atomic<std::uint64_t> recorded{0};
  const auto t0 = std::chrono::steady_clock::now();
  {
    ledger::UsageLedger ledger(ioc.get_executor(), config);
    record_at_rate(ledger, rate, seconds, t0, recorded);
    const auto written_before_close = ledger.written();
    const auto dropped = ledger.dropped();
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("recorded %llu rows in %.2f s (%.0f rows/s asked): written %llu by then, dropped %llu\n",
                static_cast<unsigned long long>(recorded.load()), took, rate, static_cast<unsigned long long>(written_before_close),
                static_cast<unsigned long long>(dropped));
  }
  const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("all written after %.2f s: %.0f rows/s\n", total, static_cast<double>(recorded.load()) / total);
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
}
