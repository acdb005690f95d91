#pragma once
// The account stage, the last of every exchange: finishes its admission
// ticket exactly once with what it used and cost, writes its one ledger row
// through a UsageSink, counts it in the dashboard's totals, observes the
// gateway's own overhead, and fills the access log's outcome. Requests the
// admit stage refused are counted, and sampled into the ledger (one row a
// second per key, so a client hammering past its limit cannot crowd out
// real rows). Clocks are injected.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "ledger/ledger.hpp"
#include "observability/prometheus.hpp"
#include "observability/relaxed_counter.hpp"
#include "pipeline/exchange.hpp"

namespace switchyard::pipeline {

// Where ledger rows go (the usage ledger; a test's list).
class UsageSink {
 public:
  virtual ~UsageSink() = default;
  virtual void record(const ledger::UsageRow& row) noexcept = 0;
};

// Which second each key's last refused row was written in: one row a second per key
// whichever worker refused it (the stages of every reactor share one sampler).
class RefusedSampler {
 public:
  // True when this is the key's first refusal in `second` (its row is written).
  bool first_in(const std::string& key, std::int64_t second) {
    std::lock_guard lock(mu_);
    auto& last = seconds_[key];  // keys are configured: bounded
    if (last == second) return false;
    last = second;
    return true;
  }

 private:
  std::mutex mu_;
  std::unordered_map<std::string, std::int64_t> seconds_;
};

struct Clocks {
  std::function<Clock::time_point()> steady = [] { return Clock::now(); };
  std::function<std::int64_t()> wall;  // milliseconds since the epoch (empty: the system clock)
};

// Requests, errors, tokens and spend (the dashboard's "since start" and "today").
struct Totals {
  std::uint64_t requests = 0, errors = 0;
  std::int64_t tokens = 0;
  double cost_usd = 0;
  Totals& operator+=(const Totals& o) noexcept {
    requests += o.requests;
    errors += o.errors;
    tokens += o.tokens;
    cost_usd += o.cost_usd;
    return *this;
  }
};

class AccountStage {
 public:
  // `sampler`: shared with the other reactors' stages (null: this stage's own).
  AccountStage(UsageSink& sink, Clocks clocks, std::shared_ptr<RefusedSampler> sampler = nullptr);

  // The answer (a stream: its first chunk) is ready to go out: the time inside the
  // gateway so far, less the wait on the provider, is observed and kept in the
  // exchange (x-switchyard-overhead-us); the record and the access log learn the target.
  void ready(Exchange& ex, std::string_view provider, std::string_view model, std::chrono::nanoseconds upstream, CacheStatus cache);
  // The exchange ended (answered, failed, a stream's end, or the client left): its ticket
  // is finished with ex.record's tokens and cost, its ledger row written. Only once.
  void finish(Exchange& ex);
  // Ends the exchange with `e`: the record's status is the one mapping's (499: the client
  // left; 200 once a stream's head went out).
  void fail(Exchange& ex, const Error& e, bool head_sent = false);
  // A failure after the provider had the request (a client that left mid-answer): the
  // prompt it billed (Error::billed_*) is charged, unless the provider reported usage.
  static void bill(UsageRecord& record, const Error& e) noexcept;
  // A request its key's limits or budget refused: counted, sampled into the ledger.
  void refused(Exchange& ex, const Error& e);

  // The status a client saw for an exchange that ended with `e`.
  static int status_of(const Error& e, bool head_sent) noexcept;

  std::int64_t wall_now_ms() const;
  Clock::time_point now() const { return clocks_.steady(); }
  // Read from any thread (each worker reactor has its own stage; the views add them up).
  Totals since_start() const noexcept { return since_start_.get(); }
  Totals today() const noexcept { return today_.get(); }
  // Today's figures from before a restart (the ledger's): the day's counting starts from them.
  void seed_today(const Totals& t, std::int64_t day) noexcept;
  const observability::FixedHistogram& overhead() const noexcept { return overhead_; }
  // Streams: until the first chunk went to the client (the GenAI gen_ai.server.time_to_first_token).
  const observability::FixedHistogram& time_to_first_token() const noexcept { return ttft_; }
  std::uint64_t refused_total() const noexcept { return refused_total_; }
  std::uint64_t refused_unrecorded() const noexcept { return refused_unrecorded_; }
  // A worker's figures: written by that worker only, read by any thread.
  struct Tally {
    observability::RelaxedCounter<std::uint64_t> requests, errors;
    observability::RelaxedCounter<std::int64_t> tokens;
    observability::RelaxedCounter<double> cost_usd;
    Totals get() const noexcept { return Totals{requests, errors, tokens, cost_usd}; }
    void set(const Totals& t) noexcept {
      requests = t.requests;
      errors = t.errors;
      tokens = t.tokens;
      cost_usd = t.cost_usd;
    }
  };

 private:
  void write_row(const Exchange& ex, std::int64_t now_ms);
  // A sampled exchange's SERVER span gets how it ended; it and a stream's answering attempt go out.
  void end_trace(Exchange& ex);
  void count(const ledger::UsageRow& row) noexcept;

  UsageSink& sink_;
  Clocks clocks_;
  Tally since_start_, today_;
  std::int64_t today_index_ = -1;  // days since the epoch that today_ counts
  std::shared_ptr<RefusedSampler> sampler_;
  observability::RelaxedCounter<std::uint64_t> refused_total_, refused_unrecorded_;
  observability::FixedHistogram ttft_{0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0};
  observability::FixedHistogram overhead_{0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05};
};

}  // namespace switchyard::pipeline
