#pragma once
// The usage API, read from the usage ledger:
//   GET /v1/usage (a client key): that key's budget, limits and totals for its budget period;
//   GET /admin/usage?from=&to=&group_by=key|route|provider|model|day[&format=csv] (the admin key):
//     totals over [from, to) (ISO 8601 or epoch seconds; default the last 24 h).
#include <switchyard/gateway.hpp>

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/request_context.hpp"

namespace switchyard::server {

// "2026-11-30", "2026-11-30T12:00:00Z" or epoch seconds, as milliseconds since the epoch.
std::optional<std::int64_t> parse_time(std::string_view text);
// The rows as CSV with a header line; the first column is named `group_by`.
std::string usage_csv(std::string_view group_by, const std::vector<UsageTotals>& rows);

boost::asio::awaitable<void> key_usage(RequestContext& r, Gateway& gateway);
boost::asio::awaitable<void> admin_usage(RequestContext& r, Gateway& gateway);
// GET /admin/sla: the SLA report (availability, failovers, latency and TTFT quantiles, errors, spend) by route, provider, key or team.
boost::asio::awaitable<void> admin_sla(RequestContext& r, Gateway& gateway);

}  // namespace switchyard::server
