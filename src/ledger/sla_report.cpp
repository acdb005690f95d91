#include "ledger/sla_report.hpp"

#include <boost/json.hpp>

#include <cmath>
#include <cstdio>

namespace switchyard::ledger {

bool parse_sla_group(std::string_view name, SlaGroup& out) noexcept {
  if (name == "route") out = SlaGroup::route;
  else if (name == "provider") out = SlaGroup::provider;
  else if (name == "key") out = SlaGroup::key;
  else if (name == "team") out = SlaGroup::team;
  else return false;
  return true;
}

std::string_view sla_column(SlaGroup g) noexcept {
  switch (g) {
    case SlaGroup::route: return "route";
    case SlaGroup::provider: return "provider";
    case SlaGroup::key: return "key";
    case SlaGroup::team: return "team";
  }
  return "route";
}

namespace {
const std::array<double, SlaReport::kBuckets>& bucket_bounds() {
  static const auto bounds = [] {
    std::array<double, SlaReport::kBuckets> b{};
    double v = 1;
    for (auto& x : b) {
      x = v;
      v *= 1.15;
    }
    return b;
  }();
  return bounds;
}

// A client's own doing: not the gateway's availability, either way.
bool client_side(int status, std::string_view error) noexcept {
  if (status == 499) return true;
  return status >= 400 && status < 500 && !error.starts_with("upstream");
}
}  // namespace

std::span<const double> SlaReport::bounds() noexcept { return bucket_bounds(); }

std::size_t SlaReport::bucket_of(double ms) noexcept {
  if (!(ms > 1)) return 0;
  const auto i = static_cast<std::size_t>(std::ceil(std::log(ms) / std::log(1.15)));
  return std::min(i, kBuckets - 1);
}

double SlaReport::upper_ms(std::size_t bucket) noexcept { return bucket_bounds()[std::min(bucket, kBuckets - 1)]; }

void SlaReport::add(std::string_view group, int status, std::string_view error, bool stream, std::size_t latency_bucket, std::size_t ttft_bucket,
                    std::uint64_t count, double cost_usd, std::int64_t failovers) {
  auto it = groups_.find(group);
  if (it == groups_.end()) it = groups_.emplace(std::string(group), Figures{}).first;
  Figures& f = it->second;
  f.requests += count;
  f.cost_usd += cost_usd;
  f.failovers += failovers;
  if (!error.empty()) f.errors[std::string(error)] += count;
  if (client_side(status, error)) {
    f.client_errors += count;
    return;
  }
  const bool broke = status >= 500 || (status < 400 && !error.empty());
  (broke ? f.unavailable : f.available) += count;
  if (broke) return;
  f.latency[std::min(latency_bucket, kBuckets - 1)] += count;
  if (stream) f.ttft[std::min(ttft_bucket, kBuckets - 1)] += count;
}

double SlaReport::quantile_ms(const std::array<std::uint64_t, kBuckets>& h, double q) noexcept {
  std::uint64_t total = 0;
  for (auto n : h) total += n;
  if (total == 0) return 0;
  const double rank = q * static_cast<double>(total);
  double seen = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    if (h[i] == 0) continue;
    if (seen + static_cast<double>(h[i]) >= rank) {
      const double lo = i == 0 ? 0 : upper_ms(i - 1), hi = upper_ms(i);
      return lo + (hi - lo) * (rank - seen) / static_cast<double>(h[i]);
    }
    seen += static_cast<double>(h[i]);
  }
  return upper_ms(kBuckets - 1);
}

namespace {
double rounded(double v, double unit) { return std::round(v / unit) * unit; }
}  // namespace

boost::json::array SlaReport::json() const {
  boost::json::array out;
  for (const auto& [name, f] : groups_) {
    const std::uint64_t counted = f.available + f.unavailable;
    boost::json::object errors;
    for (const auto& [code, n] : f.errors) errors[code] = n;
    out.push_back(boost::json::object{
        {"group", name},
        {"requests", f.requests},
        {"available", f.available},
        {"unavailable", f.unavailable},
        {"client_errors", f.client_errors},
        {"availability", counted ? static_cast<double>(f.available) / static_cast<double>(counted) : 1.0},
        {"failovers", f.failovers},
        {"latency_ms", boost::json::object{{"p50", rounded(quantile_ms(f.latency, 0.5), 0.1)},
                                           {"p95", rounded(quantile_ms(f.latency, 0.95), 0.1)},
                                           {"p99", rounded(quantile_ms(f.latency, 0.99), 0.1)}}},
        {"ttft_ms", boost::json::object{{"p50", rounded(quantile_ms(f.ttft, 0.5), 0.1)},
                                        {"p95", rounded(quantile_ms(f.ttft, 0.95), 0.1)},
                                        {"p99", rounded(quantile_ms(f.ttft, 0.99), 0.1)}}},
        {"errors", std::move(errors)},
        {"cost_usd", f.cost_usd}});
  }
  return out;
}

std::string SlaReport::csv(std::string_view group_name) const {
  std::string out = std::string(group_name) +
                    ",requests,available,unavailable,client_errors,availability,failovers,latency_p50_ms,latency_p95_ms,latency_p99_ms,"
                    "ttft_p50_ms,ttft_p95_ms,ttft_p99_ms,errors,cost_usd\n";
  char buf[512];
  for (const auto& [name, f] : groups_) {
    const std::uint64_t counted = f.available + f.unavailable;
    std::string errors;
    for (const auto& [code, n] : f.errors) errors += (errors.empty() ? "" : ";") + code + "=" + std::to_string(n);
    std::string cell = name;  // quoted when it holds a comma, a quote or a line break
    if (cell.find_first_of(",\"\n\r") != std::string::npos) {
      std::string q = "\"";
      for (char c : cell) q += c == '"' ? std::string("\"\"") : std::string(1, c);
      cell = q + "\"";
    }
    std::snprintf(buf, sizeof buf, ",%llu,%llu,%llu,%llu,%.6f,%lld,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,", static_cast<unsigned long long>(f.requests),
                  static_cast<unsigned long long>(f.available), static_cast<unsigned long long>(f.unavailable),
                  static_cast<unsigned long long>(f.client_errors), counted ? static_cast<double>(f.available) / static_cast<double>(counted) : 1.0,
                  static_cast<long long>(f.failovers), quantile_ms(f.latency, 0.5), quantile_ms(f.latency, 0.95), quantile_ms(f.latency, 0.99),
                  quantile_ms(f.ttft, 0.5), quantile_ms(f.ttft, 0.95), quantile_ms(f.ttft, 0.99));
    out += cell + buf + errors;
    std::snprintf(buf, sizeof buf, ",%.6f\n", f.cost_usd);
    out += buf;
  }
  return out;
}

}  // namespace switchyard::ledger
