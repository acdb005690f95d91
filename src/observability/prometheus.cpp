#include "observability/prometheus.hpp"

#include <cstdio>

namespace switchyard::observability {

FixedHistogram::FixedHistogram(std::initializer_list<double> bounds_seconds) {
  for (double b : bounds_seconds) {
    if (size_ < kMaxBuckets) bounds_[size_++] = b;
  }
}

FixedHistogram::FixedHistogram(const FixedHistogram& o) noexcept : bounds_(o.bounds_), size_(o.size_) { merge(o); }

void FixedHistogram::observe(double seconds) noexcept {
  std::size_t i = 0;
  while (i < size_ && seconds > bounds_[i]) ++i;
  if (i < size_) counts_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(seconds, std::memory_order_relaxed);  // a target's histograms are written by every worker
}

void FixedHistogram::merge(const FixedHistogram& other) noexcept {
  for (std::size_t i = 0; i < size_ && i < other.size_; ++i) counts_[i].fetch_add(other.bucket(i), std::memory_order_relaxed);
  count_.fetch_add(other.count(), std::memory_order_relaxed);
  sum_.store(sum_.load(std::memory_order_relaxed) + other.sum(), std::memory_order_relaxed);
}

double FixedHistogram::quantile(double q) const noexcept {
  const auto total = count();
  if (total == 0 || size_ == 0) return 0;
  const double rank = q * static_cast<double>(total);
  double seen = 0;
  for (std::size_t i = 0; i < size_; ++i) {
    const auto n = static_cast<double>(bucket(i));
    if (n > 0 && seen + n >= rank) {
      const double lower = i == 0 ? 0 : bounds_[i - 1];
      return lower + (bounds_[i] - lower) * ((rank - seen) / n);
    }
    seen += n;
  }
  return bounds_[size_ - 1];
}

namespace {
std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}
}  // namespace

void PrometheusWriter::help(std::string_view name, std::string_view type, std::string_view help) {
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  out_ += help;
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += type;
  out_ += '\n';
}

void PrometheusWriter::labels(Labels labels, std::string_view extra_key, std::string_view extra_value) {
  if (labels.size() == 0 && extra_key.empty()) return;
  out_ += '{';
  bool first = true;
  auto add = [&](std::string_view k, std::string_view v) {
    if (!first) out_ += ',';
    first = false;
    out_ += k;
    out_ += "=\"";
    for (char c : v) {  // escape per the exposition format
      if (c == '\\' || c == '"') out_ += '\\';
      if (c == '\n') {
        out_ += "\\n";
        continue;
      }
      out_ += c;
    }
    out_ += '"';
  };
  for (auto [k, v] : labels) add(k, v);
  if (!extra_key.empty()) add(extra_key, extra_value);
  out_ += '}';
}

void PrometheusWriter::sample(std::string_view name, Labels l, double value) {
  out_ += name;
  labels(l);
  out_ += ' ';
  out_ += number(value);
  out_ += '\n';
}

void PrometheusWriter::histogram(std::string_view name, Labels l, const FixedHistogram& h) {
  std::uint64_t cumulative = 0;
  const std::string bucket = std::string(name) + "_bucket";
  for (std::size_t i = 0; i < h.bounds().size(); ++i) {
    cumulative += h.bucket(i);
    out_ += bucket;
    labels(l, "le", number(h.bounds()[i]));
    out_ += ' ';
    out_ += std::to_string(cumulative);
    out_ += '\n';
  }
  out_ += bucket;
  labels(l, "le", "+Inf");
  out_ += ' ';
  out_ += std::to_string(h.count());
  out_ += '\n';
  sample(std::string(name) + "_sum", l, h.sum());
  sample(std::string(name) + "_count", l, static_cast<double>(h.count()));
}

}  // namespace switchyard::observability
