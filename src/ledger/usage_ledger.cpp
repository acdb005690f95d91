#include "ledger/usage_ledger.hpp"

#include <boost/asio/this_coro.hpp>

#include <boost/json.hpp>
#include "governance/wall_clock.hpp"
#include "ledger/row_ring.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <mutex>
#include <stdexcept>

namespace switchyard::ledger {

namespace asio = boost::asio;

namespace {
constexpr std::pair<std::string_view, GroupBy> kGroups[] = {
    {"key", GroupBy::key},     {"route", GroupBy::route}, {"provider", GroupBy::provider}, {"model", GroupBy::model},
    {"day", GroupBy::day},     {"team", GroupBy::team},   {"user", GroupBy::user}};

const char* group_column(GroupBy g) {
  switch (g) {
    case GroupBy::key: return "key";
    case GroupBy::route: return "route";
    case GroupBy::provider: return "provider";
    case GroupBy::model: return "model";
    case GroupBy::team: return "team";
    case GroupBy::user: return "user";
    case GroupBy::team_user: return "team || char(31) || user";
    case GroupBy::day: return "strftime('%Y-%m-%d', time_ms / 1000, 'unixepoch')";
  }
  return "key";
}
}  // namespace

std::optional<GroupBy> parse_group_by(std::string_view name) noexcept {
  for (auto [n, g] : kGroups) {
    if (n == name) return g;
  }
  return std::nullopt;
}

std::string_view to_string(GroupBy g) noexcept {
  for (auto [n, v] : kGroups) {
    if (v == g) return n;
  }
  return {};
}

struct UsageLedger::Db {
  sqlite3* db = nullptr;
  sqlite3_stmt* insert = nullptr;
  ~Db() {
    sqlite3_finalize(insert);
    sqlite3_close(db);
  }
  void exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string message = err ? err : "unknown error";
      sqlite3_free(err);
      throw std::runtime_error("usage ledger: " + message);
    }
  }
};

struct UsageLedger::Jobs {
  std::mutex mutex;
  std::condition_variable wake;
  std::deque<std::function<void(sqlite3*)>> queue;
};

// The reader: its own connection to the file, its own thread and queue.
struct UsageLedger::Reader {
  sqlite3* db = nullptr;
  std::mutex mutex;
  std::condition_variable wake;
  std::deque<std::function<void(sqlite3*)>> queue;
  bool stop = false;
  std::thread thread;
  ~Reader() {
    if (db) sqlite3_close(db);
  }
};

UsageLedger::UsageLedger(asio::any_io_executor ex, const UsageConfig& config, std::size_t producers)
    : ex_(std::move(ex)), config_(config), db_(std::make_unique<Db>()), jobs_(std::make_unique<Jobs>()) {
  for (std::size_t i = 0; i < std::max<std::size_t>(producers, 1); ++i) {
    rings_.push_back(std::make_unique<RowRing>(std::max<std::size_t>(config.queue_rows, 16)));
  }
  const std::string path = config_.path.empty() ? ":memory:" : config_.path;
  if (!config_.path.empty()) {
    std::error_code ec;  // the directory ("data/") is made on first use
    const auto dir = std::filesystem::path(config_.path).parent_path();
    if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  }
  if (sqlite3_open_v2(path.c_str(), &db_->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    throw std::runtime_error("usage ledger: cannot open " + path + ": " + sqlite3_errmsg(db_->db));
  }
  db_->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
  db_->exec(
      "CREATE TABLE IF NOT EXISTS usage(time_ms INTEGER NOT NULL, request_id TEXT, key TEXT, route TEXT, provider TEXT, model TEXT,"
      " status INTEGER, stream INTEGER, prompt_tokens INTEGER, cached_tokens INTEGER, cache_write_tokens INTEGER,"
      " completion_tokens INTEGER, reasoning_tokens INTEGER, cost_usd REAL, latency_ms REAL, ttft_ms REAL, error TEXT, overhead_us REAL,"
      " cache TEXT, saved_usd REAL);"
      "CREATE INDEX IF NOT EXISTS usage_time ON usage(time_ms);"
      "CREATE INDEX IF NOT EXISTS usage_key_time ON usage(key, time_ms);");
  // A file from before the overhead or cache columns: add them (an error here means it is there already).
  for (const char* column : {"overhead_us REAL", "cache TEXT", "saved_usd REAL", "team TEXT", "user TEXT", "failovers INTEGER"}) {
    sqlite3_exec(db_->db, (std::string("ALTER TABLE usage ADD COLUMN ") + column).c_str(), nullptr, nullptr, nullptr);
  }
  if (sqlite3_prepare_v2(db_->db,
                         "INSERT INTO usage(time_ms, request_id, key, route, provider, model, status, stream, prompt_tokens, cached_tokens,"
                         " cache_write_tokens, completion_tokens, reasoning_tokens, cost_usd, latency_ms, ttft_ms, error, overhead_us, cache, saved_usd,"
                         " team, user, failovers) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                         -1, &db_->insert, nullptr) != SQLITE_OK) {
    throw std::runtime_error(std::string("usage ledger: ") + sqlite3_errmsg(db_->db));
  }
  writer_ = std::thread([this] { writer_loop(); });
  if (!config_.path.empty()) {
    auto reader = std::make_unique<Reader>();
    if (sqlite3_open_v2(path.c_str(), &reader->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr) == SQLITE_OK) {
      sqlite3_busy_timeout(reader->db, 5'000);
      reader_ = std::move(reader);
      reader_->thread = std::thread([this] { reader_loop(); });
    }  // else: queries run on the writer, as in memory
  }
}

UsageLedger::~UsageLedger() {
  if (reader_) {
    {
      std::lock_guard lock(reader_->mutex);
      reader_->stop = true;
    }
    reader_->wake.notify_one();
    if (reader_->thread.joinable()) reader_->thread.join();
  }
  stopping_.store(true);
  jobs_->wake.notify_one();
  if (writer_.joinable()) writer_.join();
}

bool UsageLedger::submit_query(std::function<void(sqlite3*)> job) {
  if (queued_queries_.fetch_add(1, std::memory_order_acq_rel) >= kMaxQueuedQueries) {
    queued_queries_.fetch_sub(1, std::memory_order_acq_rel);
    queries_refused_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  auto counted = [this, job = std::move(job)](sqlite3* db) {
    job(db);
    queued_queries_.fetch_sub(1, std::memory_order_acq_rel);
  };
  if (!reader_) {
    {
      std::lock_guard lock(jobs_->mutex);
      jobs_->queue.push_back(std::move(counted));
    }
    jobs_->wake.notify_one();
    return true;
  }
  // Read-your-writes: the query waits (at most 2 s) until the rows recorded before it are committed.
  std::vector<std::uint64_t> upto;
  for (const auto& r : rings_) upto.push_back(r->tail.load(std::memory_order_acquire));
  {
    std::lock_guard lock(reader_->mutex);
    reader_->queue.push_back([this, upto = std::move(upto), counted = std::move(counted)](sqlite3* db) {
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
      auto behind = [&] {
        for (std::size_t i = 0; i < upto.size(); ++i) {
          if (rings_[i]->committed.load(std::memory_order_acquire) < upto[i]) return true;
        }
        return false;
      };
      while (behind() && std::chrono::steady_clock::now() < deadline) {
        jobs_->wake.notify_one();  // the writer drains now rather than after its idle pause
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      counted(db);
    });
  }
  reader_->wake.notify_one();
  return true;
}

void UsageLedger::reader_loop() {
  for (;;) {
    std::function<void(sqlite3*)> job;
    {
      std::unique_lock lock(reader_->mutex);
      reader_->wake.wait(lock, [&] { return reader_->stop || !reader_->queue.empty(); });
      if (reader_->queue.empty()) return;  // stopping, nothing left
      job = std::move(reader_->queue.front());
      reader_->queue.pop_front();
    }
    job(reader_->db);
  }
}

bool UsageLedger::record(const UsageRow& r, std::size_t producer) noexcept {
  if (rings_[producer < rings_.size() ? producer : 0]->push(r)) return true;
  dropped_.fetch_add(1, std::memory_order_relaxed);
  return false;
}

// Writes every queued row of every ring in one transaction; returns how many.
std::size_t UsageLedger::drain() {
  std::vector<std::uint64_t> tails;
  std::uint64_t rows = 0;
  for (const auto& r : rings_) {
    tails.push_back(r->tail.load(std::memory_order_acquire));
    rows += tails.back() - r->head.load(std::memory_order_relaxed);
  }
  if (rows == 0) return 0;
  sqlite3_exec(db_->db, "BEGIN", nullptr, nullptr, nullptr);
  for (std::size_t k = 0; k < rings_.size(); ++k) write_ring(*rings_[k], tails[k]);
  sqlite3_exec(db_->db, "COMMIT", nullptr, nullptr, nullptr);
  written_.fetch_add(rows, std::memory_order_relaxed);
  for (std::size_t k = 0; k < rings_.size(); ++k) rings_[k]->committed.store(tails[k], std::memory_order_release);
  return static_cast<std::size_t>(rows);
}

// Inserts a ring's rows up to `tail` (inside drain's transaction).
void UsageLedger::write_ring(RowRing& ring, std::uint64_t tail) {
  auto* st = db_->insert;
  for (auto i = ring.head.load(std::memory_order_relaxed); i != tail; ++i) {
    const RowSlot& s = ring.at(i);
    // SQLITE_STATIC: the slot is not reused before sqlite3_step is done with it.
    auto text = [&](int col, std::string_view v) { sqlite3_bind_text(st, col, v.data(), static_cast<int>(v.size()), SQLITE_STATIC); };
    sqlite3_bind_int64(st, 1, s.time_ms);
    text(2, s.request_id.view());
    text(3, s.key.view());
    text(4, s.route.view());
    text(5, s.provider.view());
    text(6, s.model.view());
    sqlite3_bind_int(st, 7, s.status);
    sqlite3_bind_int(st, 8, s.stream ? 1 : 0);
    sqlite3_bind_int64(st, 9, s.prompt);
    sqlite3_bind_int64(st, 10, s.cached);
    sqlite3_bind_int64(st, 11, s.cache_write);
    sqlite3_bind_int64(st, 12, s.completion);
    sqlite3_bind_int64(st, 13, s.reasoning);
    sqlite3_bind_double(st, 14, s.cost);
    sqlite3_bind_double(st, 15, s.latency);
    sqlite3_bind_double(st, 16, s.ttft);
    text(17, s.error.view());
    sqlite3_bind_double(st, 18, s.overhead);
    if (s.cache.size > 0) text(19, s.cache.view());
    else sqlite3_bind_null(st, 19);
    sqlite3_bind_double(st, 20, s.saved);
    if (s.team.size > 0) text(21, s.team.view());
    else sqlite3_bind_null(st, 21);
    if (s.user.size > 0) text(22, s.user.view());
    else sqlite3_bind_null(st, 22);
    sqlite3_bind_int(st, 23, s.failovers);
    sqlite3_step(st);
    sqlite3_reset(st);
    ring.head.store(i + 1, std::memory_order_release);  // the slot is free again
  }
}

void UsageLedger::run_jobs() {
  std::deque<std::function<void(sqlite3*)>> jobs;
  {
    std::lock_guard lock(jobs_->mutex);
    jobs.swap(jobs_->queue);
  }
  if (jobs.empty()) return;
  drain();  // rows recorded before a job was queued are in the ring now: a job sees them
  prune_if_due();
  for (auto& job : jobs) {
    job(db_->db);
    drain();  // rows that came during the job: not held back by the next one
  }
}

// Pruned once rows are being written (so at startup with an old file too), then hourly.
void UsageLedger::prune_if_due() {
  const auto now = std::chrono::steady_clock::now();
  if (config_.retention_days <= 0 || written_.load(std::memory_order_relaxed) == 0 || !prune_.due(now)) return;
  prune_.done(now);
  const auto cutoff = governance::wall_now_ms() - static_cast<Ms>(config_.retention_days) * 86'400'000;
  sqlite3_exec(db_->db, ("DELETE FROM usage WHERE time_ms < " + std::to_string(cutoff)).c_str(), nullptr, nullptr, nullptr);
}

void UsageLedger::writer_loop() {
  auto last_cap = std::chrono::steady_clock::time_point{};
  auto pause = std::chrono::milliseconds(10);
  for (;;) {
    const bool stop = stopping_.load();
    const auto rows = drain();
    prune_if_due();  // before any query job: a query after the first rows sees them pruned
    run_jobs();
    if (stop) break;
    // In memory only, the table keeps its newest memory_rows rows: without a
    // file, every row would stay in RAM for the whole retention period.
    if (config_.path.empty() && std::chrono::steady_clock::now() - last_cap > std::chrono::seconds(1)) {
      last_cap = std::chrono::steady_clock::now();
      sqlite3_exec(db_->db, ("DELETE FROM usage WHERE rowid <= (SELECT MAX(rowid) FROM usage) - " + std::to_string(config_.memory_rows)).c_str(),
                   nullptr, nullptr, nullptr);
    }
    // Rows are picked up every 10 ms while they come; with none, the pause
    // doubles up to 100 ms (an idle gateway wakes 10 times a second, not 100;
    // the ring still holds 100 ms of 80,000 requests a second). Jobs wake it at once.
    pause = rows > 0 ? std::chrono::milliseconds(10) : std::min<std::chrono::milliseconds>(std::chrono::milliseconds(100), pause * 2);
    std::unique_lock lock(jobs_->mutex);
    jobs_->wake.wait_for(lock, pause, [&] { return !jobs_->queue.empty() || stopping_.load(); });
  }
}

namespace {
std::vector<UsageTotals> query_totals(sqlite3* db, Ms from, Ms to, GroupBy group, const std::string& key_filter) {
  std::vector<UsageTotals> out;
  const std::string sql = std::string("SELECT ") + group_column(group) +
                          ", COUNT(*), SUM(status >= 400), SUM(prompt_tokens), SUM(cached_tokens), SUM(completion_tokens),"
                          " SUM(reasoning_tokens), SUM(cost_usd), SUM(cache IN ('hit', 'coalesced')), TOTAL(saved_usd),"
                          " SUM(error IN ('rate_limit_exceeded', 'budget_exceeded')) FROM usage WHERE time_ms >= ?1 AND time_ms < ?2" +
                          (key_filter.empty() ? "" : " AND key = ?3") + " GROUP BY 1 ORDER BY 1";
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) return out;
  sqlite3_bind_int64(st, 1, from);
  sqlite3_bind_int64(st, 2, to);
  if (!key_filter.empty()) sqlite3_bind_text(st, 3, key_filter.data(), static_cast<int>(key_filter.size()), SQLITE_TRANSIENT);
  while (sqlite3_step(st) == SQLITE_ROW) {
    UsageTotals t;
    if (const auto* g = sqlite3_column_text(st, 0)) t.group = reinterpret_cast<const char*>(g);
    t.requests = static_cast<std::uint64_t>(sqlite3_column_int64(st, 1));
    t.errors = static_cast<std::uint64_t>(sqlite3_column_int64(st, 2));
    t.prompt_tokens = sqlite3_column_int64(st, 3);
    t.cached_tokens = sqlite3_column_int64(st, 4);
    t.completion_tokens = sqlite3_column_int64(st, 5);
    t.reasoning_tokens = sqlite3_column_int64(st, 6);
    t.cost_usd = sqlite3_column_double(st, 7);
    t.cache_hits = static_cast<std::uint64_t>(sqlite3_column_int64(st, 8));
    t.saved_usd = sqlite3_column_double(st, 9);
    t.refused = static_cast<std::uint64_t>(sqlite3_column_int64(st, 10));
    out.push_back(std::move(t));
  }
  sqlite3_finalize(st);
  return out;
}
}  // namespace

std::vector<UsageTotals> UsageLedger::totals_now(Ms from, Ms to, GroupBy group, const std::string& key_filter) {
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
  std::vector<UsageTotals> result;
  {
    std::lock_guard lock(jobs_->mutex);
    jobs_->queue.push_back([&](sqlite3* db) {
      auto r = query_totals(db, from, to, group, key_filter);
      std::lock_guard l(m);
      result = std::move(r);
      done = true;
      cv.notify_one();
    });
  }
  jobs_->wake.notify_one();
  std::unique_lock lock(m);
  cv.wait_for(lock, std::chrono::seconds(30), [&] { return done; });
  return result;
}

namespace {
// Hands a job's result back to the io_context, where a coroutine waits for it (at most 30 s).
struct Handoff {
  explicit Handoff(asio::any_io_executor ex) : timer(ex) {}
  asio::steady_timer timer;
  std::vector<UsageTotals> result;
  bool done = false;
};
}  // namespace

asio::awaitable<std::optional<std::vector<UsageTotals>>> UsageLedger::totals(Ms from, Ms to, GroupBy group, std::string key_filter) {
  // The answer comes back to the asking coroutine's own executor (whichever worker it runs on).
  const auto ex = co_await asio::this_coro::executor;
  auto handoff = std::make_shared<Handoff>(ex);
  handoff->timer.expires_after(std::chrono::seconds(30));
  const bool queued = submit_query([handoff, from, to, group, key_filter, ex](sqlite3* db) {
    auto r = query_totals(db, from, to, group, key_filter);
    asio::post(ex, [handoff, r = std::move(r)]() mutable {
      handoff->result = std::move(r);
      handoff->done = true;
      handoff->timer.cancel();
    });
  });
  if (!queued) co_return std::nullopt;
  co_await handoff->timer.async_wait(asio::as_tuple(asio::use_awaitable));
  if (!handoff->done) co_return std::nullopt;
  co_return std::move(handoff->result);
}

namespace {
boost::json::array query_recent(sqlite3* db, std::size_t limit) {
  boost::json::array out;
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db,
                         "SELECT time_ms, request_id, key, route, provider, model, status, stream, prompt_tokens, completion_tokens,"
                         " cost_usd, latency_ms, cache, error FROM usage ORDER BY rowid DESC LIMIT ?1",
                         -1, &st, nullptr) != SQLITE_OK) {
    return out;
  }
  sqlite3_bind_int64(st, 1, static_cast<sqlite3_int64>(std::min<std::size_t>(limit, 1000)));
  auto text = [&](int col) {
    const auto* t = sqlite3_column_text(st, col);
    return boost::json::string(t ? reinterpret_cast<const char*>(t) : "");
  };
  while (sqlite3_step(st) == SQLITE_ROW) {
    out.push_back(boost::json::object{{"time_ms", sqlite3_column_int64(st, 0)},
                                      {"request_id", text(1)},
                                      {"key", text(2)},
                                      {"route", text(3)},
                                      {"provider", text(4)},
                                      {"model", text(5)},
                                      {"status", sqlite3_column_int64(st, 6)},
                                      {"stream", sqlite3_column_int64(st, 7) != 0},
                                      {"prompt_tokens", sqlite3_column_int64(st, 8)},
                                      {"completion_tokens", sqlite3_column_int64(st, 9)},
                                      {"cost_usd", sqlite3_column_double(st, 10)},
                                      {"latency_ms", sqlite3_column_double(st, 11)},
                                      {"cache", text(12)},
                                      {"error", text(13)}});
  }
  sqlite3_finalize(st);
  return out;
}

struct RecentHandoff {
  explicit RecentHandoff(asio::any_io_executor ex) : timer(ex) {}
  asio::steady_timer timer;
  boost::json::array result;
};
}  // namespace

asio::awaitable<boost::json::array> UsageLedger::recent(std::size_t limit) {
  const auto ex = co_await asio::this_coro::executor;
  auto handoff = std::make_shared<RecentHandoff>(ex);
  handoff->timer.expires_after(std::chrono::seconds(30));
  const bool queued = submit_query([handoff, limit, ex](sqlite3* db) {
    auto r = query_recent(db, limit);
    asio::post(ex, [handoff, r = std::move(r)]() mutable {
      handoff->result = std::move(r);
      handoff->timer.cancel();
    });
  });
  if (!queued) co_return boost::json::array{};
  co_await handoff->timer.async_wait(asio::as_tuple(asio::use_awaitable));
  co_return std::move(handoff->result);
}

namespace {
SlaReport query_sla(sqlite3* db, Ms from, Ms to, SlaGroup group) {
  SlaReport report;
  sqlite3_stmt* st = nullptr;
  const std::string sql = "SELECT COALESCE(" + std::string(sla_column(group)) +
                          ", ''), status, COALESCE(error, ''), stream, latency_ms, ttft_ms, cost_usd, COALESCE(failovers, 0)"
                          " FROM usage WHERE time_ms >= ?1 AND time_ms < ?2";
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) return report;
  sqlite3_bind_int64(st, 1, from);
  sqlite3_bind_int64(st, 2, to);
  auto text = [&](int col) {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st, col));
    return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(st, col))) : std::string_view();
  };
  while (sqlite3_step(st) == SQLITE_ROW) {
    report.add_row(text(0), sqlite3_column_int(st, 1), text(2), sqlite3_column_int(st, 3) != 0, sqlite3_column_double(st, 4),
                   sqlite3_column_double(st, 5), sqlite3_column_double(st, 6), sqlite3_column_int64(st, 7));
  }
  sqlite3_finalize(st);
  return report;
}

struct SlaHandoff {
  explicit SlaHandoff(asio::any_io_executor ex) : timer(ex) {}
  asio::steady_timer timer;
  std::optional<SlaReport> result;
};
}  // namespace

asio::awaitable<std::optional<SlaReport>> UsageLedger::sla(Ms from, Ms to, SlaGroup group) {
  const auto ex = co_await asio::this_coro::executor;
  auto handoff = std::make_shared<SlaHandoff>(ex);
  handoff->timer.expires_after(std::chrono::seconds(30));
  const bool queued = submit_query([handoff, from, to, group, ex](sqlite3* db) {
    auto r = query_sla(db, from, to, group);
    asio::post(ex, [handoff, r = std::move(r)]() mutable {
      handoff->result = std::move(r);
      handoff->timer.cancel();
    });
  });
  if (!queued) co_return std::nullopt;
  co_await handoff->timer.async_wait(asio::as_tuple(asio::use_awaitable));
  co_return std::move(handoff->result);
}

asio::awaitable<void> UsageLedger::flush() {
  const auto ex = co_await asio::this_coro::executor;
  auto handoff = std::make_shared<Handoff>(ex);
  handoff->timer.expires_after(std::chrono::seconds(30));
  {
    std::lock_guard lock(jobs_->mutex);
    jobs_->queue.push_back([handoff, ex](sqlite3*) { asio::post(ex, [handoff] { handoff->timer.cancel(); }); });
  }
  jobs_->wake.notify_one();
  co_await handoff->timer.async_wait(asio::as_tuple(asio::use_awaitable));
}

}  // namespace switchyard::ledger
