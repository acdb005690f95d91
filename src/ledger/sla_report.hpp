#pragma once
// The SLA report (GET /admin/sla): per route, provider, key or team over a
// time range, from the ledger's rows: requests, availability, failovers,
// latency and time-to-first-token quantiles, error classes and spend.
// Sans-io: the ledgers feed it rows (SQLite, one by one) or bucketed counts
// (PostgreSQL, aggregated in the database); both give the same figures.
//
// Availability: the share of requests answered without a gateway-side or
// provider error after failover: a 5xx, or a stream that broke after its
// head, is unavailable; a client's own error (4xx other than a provider's
// 429, or a client that left) is not counted either way.
// Quantiles come from log-spaced buckets (15% wide, 1 ms to ~10 minutes).
#include <array>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>

#include <boost/json/array.hpp>

namespace switchyard::ledger {

enum class SlaGroup { route, provider, key, team };
bool parse_sla_group(std::string_view name, SlaGroup& out) noexcept;
std::string_view sla_column(SlaGroup g) noexcept;  // the ledger's column

class SlaReport {
 public:
  static constexpr std::size_t kBuckets = 96;
  // The bucket of a duration (upper bound 1 ms * 1.15^i; the last takes everything above).
  static std::size_t bucket_of(double ms) noexcept;
  static double upper_ms(std::size_t bucket) noexcept;
  static std::span<const double> bounds() noexcept;  // every bucket's upper bound, ms

  // `count` rows alike: their summed cost and failovers; ttft_bucket: streams only (else ignored).
  void add(std::string_view group, int status, std::string_view error, bool stream, std::size_t latency_bucket, std::size_t ttft_bucket,
           std::uint64_t count, double cost_usd, std::int64_t failovers);
  // One row.
  void add_row(std::string_view group, int status, std::string_view error, bool stream, double latency_ms, double ttft_ms, double cost_usd,
               std::int64_t failovers) {
    add(group, status, error, stream, bucket_of(latency_ms), bucket_of(ttft_ms), 1, cost_usd, failovers);
  }

  struct Figures {
    std::uint64_t requests = 0, available = 0, unavailable = 0, client_errors = 0;
    std::int64_t failovers = 0;
    double cost_usd = 0;
    std::array<std::uint64_t, kBuckets> latency{}, ttft{};
    std::map<std::string, std::uint64_t> errors;  // by error code
  };
  const std::map<std::string, Figures, std::less<>>& groups() const noexcept { return groups_; }
  static double quantile_ms(const std::array<std::uint64_t, kBuckets>& h, double q) noexcept;

  boost::json::array json() const;
  std::string csv(std::string_view group_name) const;

 private:
  std::map<std::string, Figures, std::less<>> groups_;
};

}  // namespace switchyard::ledger
