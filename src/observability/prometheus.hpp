#pragma once
// Prometheus text exposition: a writer for counters, gauges and fixed-bucket
// histograms, and the histogram type the gateway records into (a few atomics
// per observation, no allocation).
#include <array>
#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace switchyard::observability {

class FixedHistogram {
 public:
  static constexpr std::size_t kMaxBuckets = 16;
  // Upper bounds in seconds, ascending (at most kMaxBuckets).
  explicit FixedHistogram(std::initializer_list<double> bounds_seconds);
  FixedHistogram(const FixedHistogram& o) noexcept;  // a snapshot of o
  FixedHistogram& operator=(const FixedHistogram&) = delete;

  void observe(double seconds) noexcept;
  // Adds another histogram's counts (same bounds), e.g. folding a retired series into another.
  void merge(const FixedHistogram& other) noexcept;
  std::span<const double> bounds() const noexcept { return {bounds_.data(), size_}; }
  std::uint64_t bucket(std::size_t i) const noexcept { return counts_[i].load(std::memory_order_relaxed); }
  std::uint64_t count() const noexcept { return count_.load(std::memory_order_relaxed); }
  double sum() const noexcept { return sum_.load(std::memory_order_relaxed); }
  // The q-quantile (0..1) in seconds, interpolated inside its bucket (the last bound past the last bucket; 0 when empty).
  double quantile(double q) const noexcept;

 private:
  std::array<double, kMaxBuckets> bounds_{};
  std::size_t size_ = 0;
  std::array<std::atomic<std::uint64_t>, kMaxBuckets> counts_{};  // non-cumulative
  std::atomic<std::uint64_t> count_{0};
  std::atomic<double> sum_{0};
};

using Labels = std::initializer_list<std::pair<std::string_view, std::string_view>>;

class PrometheusWriter {
 public:
  void help(std::string_view name, std::string_view type, std::string_view help);
  void sample(std::string_view name, Labels labels, double value);
  void histogram(std::string_view name, Labels labels, const FixedHistogram& h);
  const std::string& text() const noexcept { return out_; }

 private:
  void labels(Labels labels, std::string_view extra_key = {}, std::string_view extra_value = {});
  std::string out_;
};

}  // namespace switchyard::observability
