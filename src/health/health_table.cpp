#include "health/health_table.hpp"

#include <algorithm>

#include <new>

namespace switchyard::health {

std::int64_t to_ms(TimePoint t) noexcept {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

namespace {
// A bucket's word: the second it counts (24 bits, +1 so that 0 is "never"),
// requests and errors (20 bits each, saturating at about a million a second):
// one compare-and-swap moves all three, so workers counting into the same
// bucket as its second turns lose nothing.
constexpr std::uint64_t kCountMax = (1u << 20) - 1;
std::uint64_t second_tag(std::int64_t second) noexcept { return (static_cast<std::uint64_t>(second) + 1) & 0xFFFFFF; }
std::uint64_t pack(std::uint64_t tag, std::uint64_t requests, std::uint64_t errors) noexcept {
  return tag << 40 | std::min(requests, kCountMax) << 20 | std::min(errors, kCountMax);
}
}  // namespace

void ModelHealthMetrics::count(std::int64_t second, bool error) noexcept {
  auto& b = buckets_[static_cast<std::size_t>(second % kBuckets)];
  const auto tag = second_tag(second);
  auto word = b.word.load(std::memory_order_relaxed);
  for (;;) {
    const bool same = (word >> 40) == tag;
    const auto requests = (same ? (word >> 20 & kCountMax) : 0) + 1;
    const auto errors = (same ? (word & kCountMax) : 0) + (error ? 1 : 0);
    if (b.word.compare_exchange_weak(word, pack(tag, requests, errors), std::memory_order_relaxed)) return;
  }
}

void ModelHealthMetrics::ewma(std::atomic<double>& slot, double sample) noexcept {
  constexpr double alpha = 0.2;
  double old = slot.load(std::memory_order_relaxed);
  while (!slot.compare_exchange_weak(old, old == 0 ? sample : old + alpha * (sample - old), std::memory_order_relaxed)) {
  }
}

void ModelHealthMetrics::on_success(TimePoint now, double latency_ms, std::optional<double> ttft_ms) noexcept {
  count(to_ms(now) / 1000, false);
  consecutive_failures_.store(0, std::memory_order_relaxed);
  ewma(ewma_latency_ms_, latency_ms);
  if (ttft_ms) ewma(ewma_ttft_ms_, *ttft_ms);
}

void ModelHealthMetrics::on_failure(TimePoint now, bool rate_limit, std::optional<double> rate_limited_for_ms) noexcept {
  const auto ms = to_ms(now);
  count(ms / 1000, true);
  consecutive_failures_.fetch_add(1, std::memory_order_relaxed);
  if (rate_limit) {
    last_429_ms_.store(ms, std::memory_order_relaxed);
    if (rate_limited_for_ms) {
      rate_limited_until_ms_.store(ms + static_cast<std::int64_t>(*rate_limited_for_ms), std::memory_order_relaxed);
    }
  }
}

HealthSnapshot ModelHealthMetrics::snapshot(TimePoint now) const noexcept {
  HealthSnapshot s;
  const auto ms = to_ms(now);
  const auto second = ms / 1000;
  const auto now_tag = second_tag(second);
  for (const auto& b : buckets_) {
    const auto word = b.word.load(std::memory_order_relaxed);
    const auto at = word >> 40;
    if (at != 0 && ((now_tag - at) & 0xFFFFFF) < static_cast<std::uint64_t>(kBuckets)) {
      s.requests += word >> 20 & kCountMax;
      s.errors += word & kCountMax;
    }
  }
  s.ewma_latency_ms = ewma_latency_ms_.load(std::memory_order_relaxed);
  s.ewma_ttft_ms = ewma_ttft_ms_.load(std::memory_order_relaxed);
  s.consecutive_failures = consecutive_failures_.load(std::memory_order_relaxed);
  const auto last = last_429_ms_.load(std::memory_order_relaxed);
  if (last != INT64_MIN) s.seconds_since_429 = static_cast<double>(ms - last) / 1000.0;
  s.rate_limited = ms < rate_limited_until_ms_.load(std::memory_order_relaxed);
  s.in_flight = in_flight_.load(std::memory_order_relaxed);
  return s;
}

ModelHealthMetrics* HealthTable::slot(const std::string& provider, std::string_view model) {
  std::string key = provider + '/' + std::string(model);
  std::lock_guard lock(mu_);
  if (auto it = index_.find(key); it != index_.end()) return &it->second->metrics;
  Entry* slot = nullptr;
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
    slot->metrics.~ModelHealthMetrics();  // atomics only: no concurrent reader on this reactor
    new (&slot->metrics) ModelHealthMetrics();
  } else {
    if (entries_.size() >= max_slots_) return nullptr;
    slot = &entries_.emplace_back();
  }
  auto& e = *slot;
  e.provider = provider;
  e.model = std::string(model);
  index_.emplace(std::move(key), &e);
  return &e.metrics;
}

const ModelHealthMetrics* HealthTable::find(const std::string& provider, std::string_view model) const {
  std::lock_guard lock(mu_);
  auto it = index_.find(provider + '/' + std::string(model));
  return it == index_.end() ? nullptr : &it->second->metrics;
}

void HealthTable::release(const std::string& provider, std::string_view model) {
  std::lock_guard lock(mu_);
  auto it = index_.find(provider + '/' + std::string(model));
  if (it == index_.end()) return;
  Entry* e = it->second;
  index_.erase(it);
  e->provider.clear();
  e->model.clear();
  free_.push_back(e);
}

void HealthTable::for_each(const std::function<void(const std::string&, const std::string&,
                                                    const ModelHealthMetrics&)>& f) const {
  std::lock_guard lock(mu_);
  for (const auto& e : entries_) {
    if (!e.provider.empty()) f(e.provider, e.model, e.metrics);
  }
}

}  // namespace switchyard::health
