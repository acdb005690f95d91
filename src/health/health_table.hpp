#pragma once
// Per-target health metrics in a fixed table of slots, one table for every
// worker reactor. A slot is written by every worker's requests to its target
// and read by anyone (the routers, the status endpoint, /metrics) without
// locks: every field is an atomic. Slots are created at startup for
// configured targets, or on first use for explicit "provider/model" targets
// (bounded), never per request: only making, finding and freeing a slot
// takes the table's lock.
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <vector>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace switchyard::health {

using TimePoint = std::chrono::steady_clock::time_point;

struct HealthSnapshot {
  std::uint64_t requests = 0;          // finished in the rolling window
  std::uint64_t errors = 0;            // of which failed (target-related failures only)
  double ewma_latency_ms = 0;          // 0 = no sample yet
  double ewma_ttft_ms = 0;             // streams: time to first token
  std::uint32_t consecutive_failures = 0;
  std::optional<double> seconds_since_429;
  bool rate_limited = false;           // inside a provider-announced Retry-After
  std::int32_t in_flight = 0;
};

class ModelHealthMetrics {
 public:
  static constexpr int kBuckets = 10;  // 10 one-second buckets: a 10 s rolling window

  void on_start() noexcept { in_flight_.fetch_add(1, std::memory_order_relaxed); }
  void on_finish() noexcept { in_flight_.fetch_sub(1, std::memory_order_relaxed); }
  void on_success(TimePoint now, double latency_ms, std::optional<double> ttft_ms) noexcept;
  // `rate_limited_for`: a 429's Retry-After (or a default) during which the target is avoided.
  void on_failure(TimePoint now, bool rate_limit, std::optional<double> rate_limited_for_ms) noexcept;

  HealthSnapshot snapshot(TimePoint now) const noexcept;

 private:
  struct Bucket {
    std::atomic<std::uint64_t> word{0};  // second, requests, errors (health_table.cpp)
  };
  void count(std::int64_t second, bool error) noexcept;
  static void ewma(std::atomic<double>& slot, double sample) noexcept;

  std::array<Bucket, kBuckets> buckets_{};
  std::atomic<double> ewma_latency_ms_{0};
  std::atomic<double> ewma_ttft_ms_{0};
  std::atomic<std::uint32_t> consecutive_failures_{0};
  std::atomic<std::int64_t> last_429_ms_{INT64_MIN};
  std::atomic<std::int64_t> rate_limited_until_ms_{INT64_MIN};
  std::atomic<std::int32_t> in_flight_{0};
};

class HealthTable {
 public:
  explicit HealthTable(std::size_t max_slots = 4096) : max_slots_(max_slots) {}

  // The slot for (provider, model), created when new; nullptr when the table is full.
  ModelHealthMetrics* slot(const std::string& provider, std::string_view model);
  const ModelHealthMetrics* find(const std::string& provider, std::string_view model) const;
  // Frees the slot of (provider, model) for another pair (its figures are reset).
  void release(const std::string& provider, std::string_view model);
  std::size_t size() const {
    std::lock_guard lock(mu_);
    return index_.size();
  }

  void for_each(const std::function<void(const std::string& provider, const std::string& model,
                                         const ModelHealthMetrics&)>& f) const;

 private:
  struct Entry {
    std::string provider, model;
    ModelHealthMetrics metrics;
  };
  std::size_t max_slots_;
  mutable std::mutex mu_;  // the index and the free list, not the slots' figures
  std::deque<Entry> entries_;  // stable addresses
  std::vector<Entry*> free_;   // released entries, reused before new ones
  std::unordered_map<std::string, Entry*> index_;
};

std::int64_t to_ms(TimePoint t) noexcept;

}  // namespace switchyard::health
