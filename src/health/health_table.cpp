#include "health/health_table.hpp"

#include <new>

namespace switchyard::health {

std::int64_t to_ms(TimePoint t) noexcept {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

ModelHealthMetrics::Bucket& ModelHealthMetrics::bucket(std::int64_t second) noexcept {
  auto& b = buckets_[static_cast<std::size_t>(second % kBuckets)];
  if (b.second.load(std::memory_order_relaxed) != second) {  // a new second: reuse the slot
    b.requests.store(0, std::memory_order_relaxed);
    b.errors.store(0, std::memory_order_relaxed);
    b.second.store(second, std::memory_order_release);
  }
  return b;
}

void ModelHealthMetrics::ewma(std::atomic<double>& slot, double sample) noexcept {
  constexpr double alpha = 0.2;
  const double old = slot.load(std::memory_order_relaxed);
  slot.store(old == 0 ? sample : old + alpha * (sample - old), std::memory_order_relaxed);
}

void ModelHealthMetrics::on_success(TimePoint now, double latency_ms, std::optional<double> ttft_ms) noexcept {
  auto& b = bucket(to_ms(now) / 1000);
  b.requests.fetch_add(1, std::memory_order_relaxed);
  consecutive_failures_.store(0, std::memory_order_relaxed);
  ewma(ewma_latency_ms_, latency_ms);
  if (ttft_ms) ewma(ewma_ttft_ms_, *ttft_ms);
}

void ModelHealthMetrics::on_failure(TimePoint now, bool rate_limit, std::optional<double> rate_limited_for_ms) noexcept {
  const auto ms = to_ms(now);
  auto& b = bucket(ms / 1000);
  b.requests.fetch_add(1, std::memory_order_relaxed);
  b.errors.fetch_add(1, std::memory_order_relaxed);
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
  for (const auto& b : buckets_) {
    const auto at = b.second.load(std::memory_order_acquire);
    if (at >= 0 && at > second - kBuckets && at <= second) {
      s.requests += b.requests.load(std::memory_order_relaxed);
      s.errors += b.errors.load(std::memory_order_relaxed);
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
  auto it = index_.find(provider + '/' + std::string(model));
  return it == index_.end() ? nullptr : &it->second->metrics;
}

void HealthTable::release(const std::string& provider, std::string_view model) {
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
  for (const auto& e : entries_) {
    if (!e.provider.empty()) f(e.provider, e.model, e.metrics);
  }
}

}  // namespace switchyard::health
