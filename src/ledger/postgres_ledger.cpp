#include "ledger/postgres_ledger.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include <cmath>
#include <deque>
#include <list>
#include <random>
#include <stdexcept>

#include "governance/wall_clock.hpp"
#include "ledger/ledger_spool.hpp"
#include "ledger/prune_schedule.hpp"
#include "ledger/row_ring.hpp"
#include "postgres/pg_connection.hpp"
#include "postgres/pg_schema.hpp"

namespace switchyard::ledger {

namespace asio = boost::asio;
namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace {
constexpr std::size_t kBatchRows = 1000;
constexpr std::size_t kMaxPending = 16;  // batches waiting in memory for a sender
constexpr std::size_t kWriters = 3;      // senders, each on a connection of its own (one insert at a time each)
constexpr std::chrono::milliseconds kStatementTimeout{5000};
constexpr std::chrono::seconds kRetry{1};
constexpr const char* kInsert =
    "INSERT INTO sy_usage SELECT * FROM json_populate_recordset(NULL::sy_usage, $1::json) ON CONFLICT (row_id) DO NOTHING";

std::string instance_id() {
  std::random_device random;
  const std::uint64_t v = (static_cast<std::uint64_t>(random()) << 32) ^ random();
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(v));
  return out;
}

double finite(double v) { return std::isfinite(v) ? v : 0.0; }

json::value text_or_null(std::string_view v) { return v.empty() ? json::value(nullptr) : json::value(json::string(v)); }

const char* group_column(GroupBy g) {
  switch (g) {
    case GroupBy::key: return "key";
    case GroupBy::route: return "route";
    case GroupBy::provider: return "provider";
    case GroupBy::model: return "model";
    case GroupBy::team: return "team";
    case GroupBy::user: return "end_user";
    case GroupBy::team_user: return "team || chr(31) || end_user";
    case GroupBy::day: return "to_char(to_timestamp(time_ms / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD')";
  }
  return "key";
}

std::string totals_sql(GroupBy group, bool by_key) {
  return std::string("SELECT COALESCE(") + group_column(group) +
         ", ''), COUNT(*), COUNT(*) FILTER (WHERE status >= 400), COALESCE(SUM(prompt_tokens), 0), COALESCE(SUM(cached_tokens), 0),"
         " COALESCE(SUM(completion_tokens), 0), COALESCE(SUM(reasoning_tokens), 0), COALESCE(SUM(cost_usd), 0),"
         " COUNT(*) FILTER (WHERE cache IN ('hit', 'coalesced')), COALESCE(SUM(saved_usd), 0),"
         " COUNT(*) FILTER (WHERE error IN ('rate_limit_exceeded', 'budget_exceeded'))"
         " FROM sy_usage WHERE time_ms >= $1::bigint AND time_ms < $2::bigint" +
         (by_key ? " AND key = $3" : "") + " GROUP BY 1 ORDER BY 1";
}

postgres::Params totals_params(Ms from, Ms to, const std::string& key_filter) {
  postgres::Params p{std::to_string(from), std::to_string(to)};
  if (!key_filter.empty()) p.push_back(key_filter);
  return p;
}

std::vector<UsageTotals> totals_of(const postgres::PgRows& rows) {
  std::vector<UsageTotals> out;
  for (std::size_t i = 0; i < rows.rows(); ++i) {
    UsageTotals t;
    t.group = std::string(rows.text(i, 0));
    t.requests = static_cast<std::uint64_t>(rows.integer(i, 1));
    t.errors = static_cast<std::uint64_t>(rows.integer(i, 2));
    t.prompt_tokens = rows.integer(i, 3);
    t.cached_tokens = rows.integer(i, 4);
    t.completion_tokens = rows.integer(i, 5);
    t.reasoning_tokens = rows.integer(i, 6);
    t.cost_usd = rows.real(i, 7);
    t.cache_hits = static_cast<std::uint64_t>(rows.integer(i, 8));
    t.saved_usd = rows.real(i, 9);
    t.refused = static_cast<std::uint64_t>(rows.integer(i, 10));
    out.push_back(std::move(t));
  }
  return out;
}

struct Batch {
  std::string rows_json;
  std::uint64_t rows = 0;
};
}  // namespace

struct PostgresLedger::Core {
  Core(asio::any_io_executor e, const UsageConfig& u, const StoreConfig& s, std::size_t producers)
      : ex(std::move(e)), usage(u), store(s), spool(s.spool_dir, s.spool_max_bytes),
        reader(std::make_shared<postgres::PgConnection>(ex, s.postgres_url, s.connect_timeout, kStatementTimeout)),
        instance(instance_id()), ship_tick(ex), send_tick(ex) {
    for (std::size_t i = 0; i < std::max<std::size_t>(producers, 1); ++i) {
      rings.push_back(std::make_unique<RowRing>(std::max<std::size_t>(usage.queue_rows, 16)));
    }
    for (std::size_t i = 0; i < kWriters; ++i) {
      writers.push_back(std::make_shared<postgres::PgConnection>(ex, s.postgres_url, s.connect_timeout, kStatementTimeout));
    }
  }

  asio::any_io_executor ex;
  UsageConfig usage;
  StoreConfig store;
  LedgerSpool spool;
  std::vector<std::shared_ptr<postgres::PgConnection>> writers;  // one per sender
  std::shared_ptr<postgres::PgConnection> reader;
  std::vector<std::unique_ptr<RowRing>> rings;
  std::string instance;
  std::uint64_t sequence = 0;
  std::deque<Batch> pending;  // drained, waiting for a sender
  std::list<Batch> inflight;  // being sent (spooled by stop(): written once either way)
  bool stopped = false, up = true;
  Clock::time_point next_attempt{};
  asio::steady_timer ship_tick, send_tick;
  std::vector<std::shared_ptr<asio::steady_timer>> settle_waiters;
  PruneSchedule prune{std::chrono::hours(1)};
  Clock::time_point today_read{};
  mutable std::mutex today_mu;  // the dashboard reads it from any thread
  std::optional<UsageTotals> today;
  std::atomic<std::uint64_t> ring_dropped{0}, written{0}, queries_refused{0};
  std::atomic<std::size_t> queued_queries{0};
  Stats stats;

  json::object row_json(const RowSlot& s) {
    return json::object{{"row_id", instance + "-" + std::to_string(sequence++)},
                        {"time_ms", s.time_ms},
                        {"request_id", s.request_id.view()},
                        {"key", s.key.view()},
                        {"route", s.route.view()},
                        {"provider", s.provider.view()},
                        {"model", s.model.view()},
                        {"status", s.status},
                        {"stream", s.stream},
                        {"prompt_tokens", s.prompt},
                        {"cached_tokens", s.cached},
                        {"cache_write_tokens", s.cache_write},
                        {"completion_tokens", s.completion},
                        {"reasoning_tokens", s.reasoning},
                        {"cost_usd", finite(s.cost)},
                        {"latency_ms", finite(s.latency)},
                        {"ttft_ms", finite(s.ttft)},
                        {"error", s.error.view()},
                        {"overhead_us", finite(s.overhead)},
                        {"cache", text_or_null(s.cache.view())},
                        {"saved_usd", finite(s.saved)},
                        {"team", text_or_null(s.team.view())},
                        {"end_user", text_or_null(s.user.view())},
                        {"failovers", s.failovers}};
  }

  // Up to kBatchRows rows out of the rings (their slots free again at once).
  Batch take_batch() {
    json::array rows;
    for (auto& ring : rings) {
      const auto tail = ring->tail.load(std::memory_order_acquire);
      for (auto i = ring->head.load(std::memory_order_relaxed); i != tail && rows.size() < kBatchRows; ++i) {
        rows.push_back(row_json(ring->at(i)));
        ring->head.store(i + 1, std::memory_order_release);
      }
    }
    if (rows.empty()) return {};
    return Batch{json::serialize(rows), rows.size()};
  }

  void to_spool(const Batch& b) {
    if (spool.put(b.rows_json, b.rows)) stats.spooled_rows += b.rows;
    else stats.spool_dropped_rows += b.rows;
    update_spool_stats();
  }

  void update_spool_stats() {
    stats.spool_bytes = spool.bytes();
    stats.spool_rows = spool.rows();
  }

  // Every queued row to the sender (or the spool, the database being away). Returns how many.
  std::uint64_t drain() {
    std::uint64_t n = 0;
    for (auto b = take_batch(); b.rows > 0; b = take_batch()) {
      n += b.rows;
      if (up && pending.size() < kMaxPending) pending.push_back(std::move(b));
      else to_spool(b);
    }
    return n;
  }

  void went_down() {
    up = false;
    stats.connected = false;
    next_attempt = Clock::now() + kRetry;
    // What waits in memory is safer on disk while the database is away (the one in flight too: written once either way).
    for (auto& b : pending) to_spool(b);
    pending.clear();
  }

  void notify_settled() {
    for (auto& w : settle_waiters) w->cancel();
  }

  bool settled(std::uint64_t target) const {
    std::uint64_t heads = 0;
    for (const auto& r : rings) heads += r->head.load(std::memory_order_acquire);
    return heads >= target && pending.empty() && inflight.empty();
  }

  std::uint64_t recorded() const {
    std::uint64_t tails = 0;
    for (const auto& r : rings) tails += r->tail.load(std::memory_order_acquire);
    return tails;
  }

  void stop() {
    if (!stopped) {
      stopped = true;
      ship_tick.cancel();
      send_tick.cancel();
      notify_settled();
      for (auto& w : writers) w->close();
      reader->close();
    }
    for (auto& b : pending) to_spool(b);
    pending.clear();
    for (auto& b : inflight) to_spool(b);
    inflight.clear();
    for (auto b = take_batch(); b.rows > 0; b = take_batch()) to_spool(b);
  }
};

namespace {
asio::awaitable<void> ship_loop(std::shared_ptr<PostgresLedger::Core> c);
asio::awaitable<void> send_loop(std::shared_ptr<PostgresLedger::Core> c, std::size_t i);
}  // namespace

PostgresLedger::PostgresLedger(asio::any_io_executor ex, const UsageConfig& usage, const StoreConfig& store, std::size_t producers)
    : core_(std::make_shared<Core>(ex, usage, store, producers)) {
  if (auto done = postgres::migrate_blocking(store.postgres_url, store.connect_timeout); !done) throw std::runtime_error("[store] " + done.error().message);
  // An earlier run's spool first: the budgets restored next count its rows.
  while (auto b = core_->spool.oldest()) {
    auto text = core_->spool.read(*b);
    if (text && !postgres::query_blocking(store.postgres_url, kInsert, {*text}, store.connect_timeout)) break;  // left for the sender
    core_->stats.replayed_rows += text ? b->rows : 0;
    core_->written += text ? b->rows : 0;
    core_->spool.remove(*b);
  }
  core_->update_spool_stats();
  core_->stats.connected = true;
  asio::co_spawn(ex, ship_loop(core_), asio::detached);
  for (std::size_t i = 0; i < kWriters; ++i) asio::co_spawn(ex, send_loop(core_, i), asio::detached);
}

PostgresLedger::~PostgresLedger() { core_->stop(); }

bool PostgresLedger::record(const UsageRow& row, std::size_t ring) noexcept {
  if (core_->rings[ring < core_->rings.size() ? ring : 0]->push(row)) return true;
  core_->ring_dropped.fetch_add(1, std::memory_order_relaxed);
  return false;
}

std::uint64_t PostgresLedger::dropped() const noexcept { return core_->ring_dropped.load() + core_->stats.spool_dropped_rows.load(); }
std::uint64_t PostgresLedger::written() const noexcept { return core_->written.load(); }
std::uint64_t PostgresLedger::queries_refused() const noexcept { return core_->queries_refused.load(); }
const PostgresLedger::Stats& PostgresLedger::stats() const noexcept { return core_->stats; }

namespace {
// Drains the rings every 10 ms while rows come, backing off to 100 ms when idle (flush() wakes it at once).
asio::awaitable<void> ship_loop(std::shared_ptr<PostgresLedger::Core> c) {
  auto pause = std::chrono::milliseconds(10);
  while (!c->stopped) {
    c->ship_tick.expires_after(pause);
    co_await c->ship_tick.async_wait(asio::as_tuple(asio::use_awaitable));
    if (c->stopped) co_return;
    const auto n = c->drain();
    pause = n > 0 ? std::chrono::milliseconds(10) : std::min<std::chrono::milliseconds>(std::chrono::milliseconds(100), pause * 2);
    if (n > 0) c->send_tick.cancel();
    c->notify_settled();
  }
}

// The spool's oldest batch, replayed by sender 0 only (a file is never sent twice at once). false: none.
asio::awaitable<bool> replay_one(std::shared_ptr<PostgresLedger::Core> c) {
  auto spooled = c->spool.oldest();
  if (!spooled) co_return false;
  auto text = c->spool.read(*spooled);
  bool written = false;
  if (text) {
    postgres::Params params{std::move(*text)};
    auto done = co_await c->writers[0]->query(kInsert, std::move(params));
    if (c->stopped) co_return false;
    if (!done && !c->writers[0]->connected()) {  // the database went away again: kept for the next try
      ++c->stats.failures;
      c->went_down();
      co_return true;
    }
    written = static_cast<bool>(done);
  }
  if (written) {
    c->written += spooled->rows;
    c->stats.replayed_rows += spooled->rows;
  } else {  // unreadable, or refused by a database that is there (never expected: the schema is ours): counted as lost
    ++c->stats.failures;
    c->stats.spool_dropped_rows += spooled->rows;
  }
  c->spool.remove(*spooled);
  c->update_spool_stats();
  c->notify_settled();
  co_return true;
}

// One step of sender `i`: a pending batch, else (sender 0) the spool's oldest. false: nothing to do.
asio::awaitable<bool> send_one(std::shared_ptr<PostgresLedger::Core> c, std::size_t i) {
  if (c->pending.empty()) {
    if (i != 0) co_return false;
    co_return co_await replay_one(c);
  }
  c->inflight.push_back(std::move(c->pending.front()));
  c->pending.pop_front();
  const auto batch = std::prev(c->inflight.end());
  postgres::Params params{batch->rows_json};
  auto done = co_await c->writers[i]->query(kInsert, std::move(params));
  if (c->stopped) co_return false;  // stop() spooled what was in flight
  if (done) {
    c->written += batch->rows;
  } else if (c->writers[i]->connected()) {
    // The database is there but refuses these rows (never expected: the schema is ours): counted, not retried forever.
    ++c->stats.failures;
    c->stats.spool_dropped_rows += batch->rows;
  } else {
    ++c->stats.failures;
    c->to_spool(*batch);  // its answer lost with the connection: replayed, written once either way
    c->went_down();
  }
  c->inflight.erase(batch);
  c->notify_settled();
  co_return true;
}

// Today's totals over every replica's rows (the dashboard's "today").
asio::awaitable<void> read_fleet_today(std::shared_ptr<PostgresLedger::Core> c) {
  const Ms now = governance::wall_now_ms();
  const Ms day = now / 86'400'000 * 86'400'000;
  auto sql = totals_sql(GroupBy::day, false);
  auto params = totals_params(day, now + 86'400'000, {});
  auto rows = co_await c->reader->query(std::move(sql), std::move(params));
  if (!rows) co_return;
  UsageTotals sum;
  for (const auto& t : totals_of(*rows)) {
    sum.requests += t.requests;
    sum.errors += t.errors;
    sum.prompt_tokens += t.prompt_tokens;
    sum.completion_tokens += t.completion_tokens;
    sum.cost_usd += t.cost_usd;
  }
  std::lock_guard lock(c->today_mu);
  c->today = sum;
}

// Sender `i` (of kWriters): sender 0 also reconnects after a failure, replays the spool, prunes
// and reads the fleet's figures; the others wait while the database is away.
asio::awaitable<void> send_loop(std::shared_ptr<PostgresLedger::Core> c, std::size_t i) {
  while (!c->stopped) {
    if (!c->up) {
      c->send_tick.expires_at(i == 0 ? c->next_attempt : Clock::now() + kRetry);
      co_await c->send_tick.async_wait(asio::as_tuple(asio::use_awaitable));
      if (c->stopped) co_return;
      if (i != 0 || Clock::now() < c->next_attempt) continue;  // woken by the shipper: not time yet
      auto ping = co_await c->writers[0]->query("SELECT 1");
      if (c->stopped) co_return;
      if (!ping) {
        c->next_attempt = Clock::now() + kRetry;
        continue;
      }
      c->up = true;
      c->stats.connected = true;
    }
    const bool worked = co_await send_one(c, i);
    if (c->stopped) co_return;
    if (worked) continue;
    if (i == 0 && c->usage.retention_days > 0 && c->prune.due(Clock::now())) {
      c->prune.done(Clock::now());
      const auto cutoff = governance::wall_now_ms() - static_cast<Ms>(c->usage.retention_days) * 86'400'000;
      postgres::Params params{std::to_string(cutoff)};
      (void)co_await c->writers[0]->query("DELETE FROM sy_usage WHERE time_ms < $1::bigint", std::move(params));
      continue;
    }
    if (i == 0 && Clock::now() - c->today_read >= std::chrono::seconds(2)) {
      c->today_read = Clock::now();
      co_await read_fleet_today(c);
      continue;
    }
    c->send_tick.expires_after(std::chrono::seconds(1));  // the shipper wakes it sooner
    co_await c->send_tick.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

// Until the rows recorded before the call are written (or spooled: the database away), at most 5 s.
asio::awaitable<void> settle(std::shared_ptr<PostgresLedger::Core> c) {
  const auto target = c->recorded();
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  c->ship_tick.cancel();  // drain now
  while (!c->stopped && !c->settled(target) && Clock::now() < deadline) {
    auto w = std::make_shared<asio::steady_timer>(c->ex, std::min(deadline, Clock::now() + std::chrono::milliseconds(50)));
    c->settle_waiters.push_back(w);
    co_await w->async_wait(asio::as_tuple(asio::use_awaitable));
    std::erase(c->settle_waiters, w);
  }
}

asio::awaitable<std::optional<std::vector<UsageTotals>>> totals_on(std::shared_ptr<PostgresLedger::Core> c, Ms from, Ms to, GroupBy group,
                                                                   std::string key_filter) {
  co_await settle(c);
  auto sql = totals_sql(group, !key_filter.empty());
  auto params = totals_params(from, to, key_filter);
  auto rows = co_await c->reader->query(std::move(sql), std::move(params));
  if (!rows) co_return std::nullopt;
  co_return totals_of(*rows);
}

asio::awaitable<json::array> recent_on(std::shared_ptr<PostgresLedger::Core> c, std::size_t limit) {
  co_await settle(c);
  postgres::Params params{std::to_string(std::min<std::size_t>(limit, 1000))};
  auto rows = co_await c->reader->query(
      "SELECT time_ms, request_id, key, route, provider, model, status, stream, prompt_tokens, completion_tokens, cost_usd, latency_ms,"
      " COALESCE(cache, ''), error FROM sy_usage ORDER BY time_ms DESC LIMIT $1::bigint",
      std::move(params));
  json::array out;
  for (std::size_t i = 0; rows && i < rows->rows(); ++i) {
    out.push_back(json::object{{"time_ms", rows->integer(i, 0)},        {"request_id", rows->text(i, 1)}, {"key", rows->text(i, 2)},
                               {"route", rows->text(i, 3)},             {"provider", rows->text(i, 4)},   {"model", rows->text(i, 5)},
                               {"status", rows->integer(i, 6)},         {"stream", rows->boolean(i, 7)},  {"prompt_tokens", rows->integer(i, 8)},
                               {"completion_tokens", rows->integer(i, 9)}, {"cost_usd", rows->real(i, 10)}, {"latency_ms", rows->real(i, 11)},
                               {"cache", rows->text(i, 12)},            {"error", rows->text(i, 13)}});
  }
  co_return out;
}

// The SLA report's figures, bucketed and counted in the database (SlaReport's 1.15 log buckets): the
// rows never leave it, whatever the range.
asio::awaitable<std::optional<SlaReport>> sla_on(std::shared_ptr<PostgresLedger::Core> c, Ms from, Ms to, SlaGroup group) {
  co_await settle(c);
  const std::string bucket = "LEAST(" + std::to_string(SlaReport::kBuckets - 1) + ", GREATEST(0, CEIL(LN(GREATEST(%, 1)) / LN(1.15))))::int";
  auto of = [&](const char* column) {
    std::string b = bucket;
    b.replace(b.find('%'), 1, column);
    return b;
  };
  std::string sql = "SELECT COALESCE(" + std::string(sla_column(group)) + ", ''), status, COALESCE(error, ''), stream, " + of("latency_ms") + ", " +
                    of("ttft_ms") + ", count(*), COALESCE(sum(cost_usd), 0), COALESCE(sum(failovers), 0)"
                    " FROM sy_usage WHERE time_ms >= $1::bigint AND time_ms < $2::bigint GROUP BY 1, 2, 3, 4, 5, 6";
  postgres::Params params{std::to_string(from), std::to_string(to)};
  auto rows = co_await c->reader->query(std::move(sql), std::move(params));
  if (!rows) co_return std::nullopt;
  SlaReport report;
  for (std::size_t i = 0; i < rows->rows(); ++i) {
    report.add(rows->text(i, 0), static_cast<int>(rows->integer(i, 1)), rows->text(i, 2), rows->boolean(i, 3),
               static_cast<std::size_t>(rows->integer(i, 4)), static_cast<std::size_t>(rows->integer(i, 5)),
               static_cast<std::uint64_t>(rows->integer(i, 6)), rows->real(i, 7), rows->integer(i, 8));
  }
  co_return report;
}

// Counts a query against kMaxQueuedQueries for as long as it runs.
struct QuerySlot {
  std::atomic<std::size_t>& queued;
  bool taken;
  explicit QuerySlot(std::atomic<std::size_t>& q) : queued(q), taken(q.fetch_add(1) < Ledger::kMaxQueuedQueries) {}
  ~QuerySlot() { queued.fetch_sub(1); }
};
}  // namespace

asio::awaitable<std::optional<std::vector<UsageTotals>>> PostgresLedger::totals(Ms from, Ms to, GroupBy group, std::string key_filter) {
  auto c = core_;
  QuerySlot slot(c->queued_queries);
  if (!slot.taken) {
    ++c->queries_refused;
    co_return std::nullopt;
  }
  co_return co_await asio::co_spawn(c->ex, totals_on(c, from, to, group, std::move(key_filter)), asio::use_awaitable);
}

asio::awaitable<json::array> PostgresLedger::recent(std::size_t limit) {
  auto c = core_;
  QuerySlot slot(c->queued_queries);
  if (!slot.taken) {
    ++c->queries_refused;
    co_return json::array{};
  }
  co_return co_await asio::co_spawn(c->ex, recent_on(c, limit), asio::use_awaitable);
}

asio::awaitable<std::optional<SlaReport>> PostgresLedger::sla(Ms from, Ms to, SlaGroup group) {
  auto c = core_;
  QuerySlot slot(c->queued_queries);
  if (!slot.taken) {
    ++c->queries_refused;
    co_return std::nullopt;
  }
  co_return co_await asio::co_spawn(c->ex, sla_on(c, from, to, group), asio::use_awaitable);
}

std::vector<UsageTotals> PostgresLedger::totals_now(Ms from, Ms to, GroupBy group, const std::string& key_filter) {
  auto rows = postgres::query_blocking(core_->store.postgres_url, totals_sql(group, !key_filter.empty()), totals_params(from, to, key_filter),
                                       core_->store.connect_timeout);
  if (!rows) throw std::runtime_error("usage ledger: " + rows.error().message);
  return totals_of(*rows);
}

asio::awaitable<void> PostgresLedger::flush() { co_await asio::co_spawn(core_->ex, settle(core_), asio::use_awaitable); }

std::optional<UsageTotals> PostgresLedger::fleet_today() const {
  std::lock_guard lock(core_->today_mu);
  return core_->today;
}

void PostgresLedger::shutdown() {
  asio::co_spawn(
      core_->ex,
      [](std::shared_ptr<Core> c) -> asio::awaitable<void> {
        co_await settle(c);
        c->stop();
      }(core_),
      asio::detached);
}

}  // namespace switchyard::ledger
