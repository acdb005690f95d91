#include "observability/latency_histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace switchyard::observability {

// Values below 64 get exact buckets (magnitude 0). Above, magnitude m >= 1
// holds [2^(m+5), 2^(m+6)) split into 64 equal sub-buckets.
std::size_t LatencyHistogram::index_of(std::uint64_t v) noexcept {
  if (v < static_cast<std::uint64_t>(kSub)) return static_cast<std::size_t>(v);
  const int top = 63 - std::countl_zero(v);  // >= kSubBits
  const int magnitude = top - kSubBits + 1;
  const std::uint64_t sub = (v >> (top - kSubBits)) & (kSub - 1);
  return static_cast<std::size_t>(magnitude) * kSub + static_cast<std::size_t>(sub);
}

std::uint64_t LatencyHistogram::upper_edge(std::size_t index) noexcept {
  const std::size_t magnitude = index / kSub;
  const std::uint64_t sub = index % kSub;
  if (magnitude == 0) return sub;
  const int shift = static_cast<int>(magnitude) - 1;
  const std::uint64_t base = (static_cast<std::uint64_t>(kSub) + sub) << shift;
  return base + ((std::uint64_t{1} << shift) - 1);
}

void LatencyHistogram::record(std::uint64_t nanos) noexcept {
  ++buckets_[index_of(nanos)];
  ++count_;
  sum_ += nanos;
  max_ = std::max(max_, nanos);
  min_ = std::min(min_, nanos);
}

void LatencyHistogram::merge(const LatencyHistogram& other) noexcept {
  for (std::size_t i = 0; i < buckets_.size(); ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  max_ = std::max(max_, other.max_);
  min_ = std::min(min_, other.min_);
}

void LatencyHistogram::reset() noexcept { *this = LatencyHistogram{}; }

std::uint64_t LatencyHistogram::quantile(double q) const noexcept {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  const auto rank = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_))));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    seen += buckets_[i];
    if (seen >= rank) return std::min(upper_edge(i), max_);
  }
  return max_;
}

}  // namespace switchyard::observability
