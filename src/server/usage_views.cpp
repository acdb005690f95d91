#include "server/usage_views.hpp"

#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include <charconv>
#include <chrono>
#include <cstdio>

#include "auth/key_store.hpp"
#include "ledger/ledger.hpp"
#include "governance/wall_clock.hpp"

namespace switchyard::server {

namespace {
std::int64_t now_ms() {
  return governance::wall_now_ms();
}

boost::json::object totals_json(const UsageTotals& t) {
  return boost::json::object{{"requests", t.requests},           {"errors", t.errors},
                             {"prompt_tokens", t.prompt_tokens}, {"cached_tokens", t.cached_tokens},
                             {"completion_tokens", t.completion_tokens}, {"reasoning_tokens", t.reasoning_tokens},
                             {"cost_usd", t.cost_usd}, {"cache_hits", t.cache_hits}, {"saved_usd", t.saved_usd}};
}

// A cell as text a spreadsheet will not run: one that starts with = + - @, a tab or
// a CR (a client-chosen model name such as =HYPERLINK(...)) gets a leading ' (OWASP's rule).
std::string csv_field(std::string_view v) {
  const bool formula = !v.empty() && std::string_view("=+-@\t\r").find(v.front()) != std::string_view::npos;
  if (!formula && v.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(v);
  std::string out = "\"";
  if (formula) out += '\'';
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}
}  // namespace

std::optional<std::int64_t> parse_time(std::string_view text) {
  if (text.empty()) return std::nullopt;
  if (text.find('-') == std::string_view::npos) {
    std::int64_t seconds = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (ec != std::errc() || p != text.data() + text.size()) return std::nullopt;
    return seconds * 1000;
  }
  int y = 0;
  unsigned mo = 0, d = 0, h = 0, mi = 0, s = 0;
  const std::string t(text);
  const int n = std::sscanf(t.c_str(), "%d-%u-%uT%u:%u:%u", &y, &mo, &d, &h, &mi, &s);
  if ((n != 3 && n != 6) || (n == 3 && t.size() != 10)) return std::nullopt;
  using namespace std::chrono;
  const year_month_day ymd{year{y}, month{mo}, day{d}};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 60) return std::nullopt;
  return duration_cast<milliseconds>(sys_days{ymd}.time_since_epoch()).count() + ((h * 60 + mi) * 60 + s) * 1000LL;
}

std::string usage_csv(std::string_view group_by, const std::vector<UsageTotals>& rows) {
  std::string out = std::string(group_by) + ",requests,errors,prompt_tokens,cached_tokens,completion_tokens,reasoning_tokens,cost_usd,cache_hits,saved_usd\r\n";
  for (const auto& t : rows) {
    char cost[32], saved[32];
    std::snprintf(cost, sizeof cost, "%.6f", t.cost_usd);
    std::snprintf(saved, sizeof saved, "%.6f", t.saved_usd);
    out += csv_field(t.group) + ',' + std::to_string(t.requests) + ',' + std::to_string(t.errors) + ',' + std::to_string(t.prompt_tokens) + ',' +
           std::to_string(t.cached_tokens) + ',' + std::to_string(t.completion_tokens) + ',' + std::to_string(t.reasoning_tokens) + ',' + cost +
           ',' + std::to_string(t.cache_hits) + ',' + saved + "\r\n";
  }
  return out;
}

boost::asio::awaitable<void> key_usage(RequestContext& r, Gateway& gateway) {
  auto out = gateway.key_status(*r.key);
  const auto from = out["period_start_ms"].as_int64();
  out.erase("period_start_ms");
  const auto rows = co_await gateway.usage(from, now_ms() + 1, "key", r.key->name);
  if (!rows) co_return co_await r.respond_error(rows.error());
  out["period_totals"] = totals_json(rows->empty() ? UsageTotals{} : rows->front());
  const std::string body = boost::json::serialize(out);
  co_await r.respond(200, "application/json", body);
}

namespace {
// An admin report's query: ?group=&format=json|csv&from=&to= (the last 24 hours unless asked).
struct RangeQuery {
  std::string group, format = "json";
  std::int64_t from = 0, to = 0;
};

result<RangeQuery> read_range_query(std::string_view target, std::string default_group) {
  auto params = boost::urls::parse_origin_form(target);
  if (!params) return make_error(errc::invalid_request, "the query string is not valid");
  RangeQuery q{std::move(default_group)};
  std::string from_text, to_text;
  for (const auto& p : params->params()) {
    if (p.key == "group_by" || p.key == "group") q.group = p.value;
    else if (p.key == "format") q.format = p.value;
    else if (p.key == "from") from_text = p.value;
    else if (p.key == "to") to_text = p.value;
  }
  if (q.format != "json" && q.format != "csv") return make_error(errc::invalid_request, "format must be json or csv");
  const std::int64_t now = now_ms();
  const auto to = to_text.empty() ? std::optional<std::int64_t>(now + 1) : parse_time(to_text);
  const auto from = from_text.empty() ? std::optional<std::int64_t>(now - 86'400'000) : parse_time(from_text);
  if (!from || !to) return make_error(errc::invalid_request, "from and to are ISO 8601 dates (2026-11-30, 2026-11-30T12:00:00Z) or epoch seconds");
  q.from = *from;
  q.to = *to;
  return q;
}
}  // namespace

boost::asio::awaitable<void> admin_usage(RequestContext& r, Gateway& gateway) {
  auto q = read_range_query(r.head.target, "key");
  if (!q) co_return co_await r.respond_error(q.error());
  const std::string& group = q->group;
  if (!ledger::parse_group_by(group)) co_return co_await r.respond_error(make_error(errc::invalid_request, "group_by must be key, team, user, route, provider, model or day"));
  const auto found = co_await gateway.usage(q->from, q->to, group, {});
  if (!found) co_return co_await r.respond_error(found.error());
  const auto& rows = *found;
  if (q->format == "csv") {
    const std::string body = usage_csv(group, rows);
    co_return co_await r.respond(200, "text/csv", body);
  }
  boost::json::array items;
  for (const auto& t : rows) {
    auto o = totals_json(t);
    o[group] = t.group;
    items.push_back(std::move(o));
  }
  const std::string body = boost::json::serialize(boost::json::object{{"from", q->from / 1000}, {"to", q->to / 1000}, {"group_by", group}, {"rows", std::move(items)}});
  co_await r.respond(200, "application/json", body);
}

// GET /admin/sla?from=&to=&group=route|provider|key|team[&format=csv]: the last 24 hours by route unless asked.
boost::asio::awaitable<void> admin_sla(RequestContext& r, Gateway& gateway) {
  auto q = read_range_query(r.head.target, "route");
  if (!q) co_return co_await r.respond_error(q.error());
  auto report = co_await gateway.sla_report(q->from, q->to, q->group, q->format == "csv");
  if (!report) co_return co_await r.respond_error(report.error());
  co_await r.respond(200, q->format == "csv" ? "text/csv" : "application/json", *report);
}

}  // namespace switchyard::server
