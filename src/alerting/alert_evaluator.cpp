#include "alerting/alert_evaluator.hpp"

#include <algorithm>

namespace switchyard::alerting {

std::string_view kind_name(AlertKind k) noexcept {
  switch (k) {
    case AlertKind::error_rate: return "error_rate";
    case AlertKind::latency_p99: return "latency_p99";
    case AlertKind::ttft_p99: return "ttft_p99";
    case AlertKind::circuit_open: return "circuit_open";
    case AlertKind::no_target: return "no_target";
    case AlertKind::budget: return "budget";
    case AlertKind::quota: return "quota";
    case AlertKind::spend_rate: return "spend_rate";
  }
  return "?";
}

std::string selector_text(const AlertRule& r) {
  std::string out;
  for (auto [k, v] : {std::pair{"provider", &r.provider}, {"route", &r.route}, {"key", &r.key}, {"team", &r.team}}) {
    if (v->empty()) continue;
    if (!out.empty()) out += ',';
    out += k;
    out += '=';
    out += *v;
  }
  return out;
}

namespace {
// The 0.99 quantile of the counts added between two cumulative histograms, in milliseconds.
double p99_ms(const Reading& a, const Reading& b) {
  std::vector<std::uint64_t> d(b.buckets.size(), 0);
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < d.size(); ++i) {
    const std::uint64_t before = i < a.buckets.size() ? a.buckets[i] : 0;
    d[i] = b.buckets[i] > before ? b.buckets[i] - before : 0;
    total += d[i];
  }
  if (total == 0 || b.bounds.empty()) return 0;
  const double rank = 0.99 * static_cast<double>(total);
  double seen = 0;
  for (std::size_t i = 0; i < d.size(); ++i) {
    if (seen + static_cast<double>(d[i]) >= rank && d[i] > 0) {
      if (i >= b.bounds.size()) return b.bounds.back() * 1000;  // above the last bound: the last bound
      const double lo = i == 0 ? 0 : b.bounds[i - 1], hi = b.bounds[i];
      return (lo + (hi - lo) * (rank - seen) / static_cast<double>(d[i])) * 1000;
    }
    seen += static_cast<double>(d[i]);
  }
  return b.bounds.back() * 1000;
}
}  // namespace

double value_of(AlertKind kind, const Reading& oldest, const Reading& now, double elapsed_s) {
  switch (now.type) {
    case Reading::Type::ratio: {
      const double den = now.denominator - oldest.denominator;
      return den > 0 ? std::max(0.0, now.numerator - oldest.numerator) / den : 0;
    }
    case Reading::Type::quantile: return p99_ms(oldest, now);
    case Reading::Type::rate: return elapsed_s >= 1 ? std::max(0.0, now.value - oldest.value) * 3600 / elapsed_s : 0;
    case Reading::Type::level:
      if (kind == AlertKind::no_target) return std::max(0.0, now.value - oldest.value);  // requests in the window
      return now.value;
  }
  return 0;
}

AlertEvaluator::AlertEvaluator(std::vector<AlertRule> rules, int cooldown_s) { set_rules(std::move(rules), cooldown_s); }

void AlertEvaluator::set_rules(std::vector<AlertRule> rules, int cooldown_s) {
  std::map<std::string, State> kept;
  for (const auto& r : rules) {
    auto it = states_.find(r.name);
    if (it != states_.end() && it->second.alert.kind == kind_name(r.kind) && it->second.alert.selector == selector_text(r)) {
      kept.emplace(r.name, std::move(it->second));
      continue;
    }
    State s;
    s.alert = Alert{r.name, std::string(kind_name(r.kind)), selector_text(r), r.threshold, 0, r.window_s, false, 0, 0};
    kept.emplace(r.name, std::move(s));
  }
  for (const auto& r : rules) {
    kept[r.name].alert.threshold = r.threshold;
    kept[r.name].alert.window_s = r.window_s;
  }
  states_ = std::move(kept);
  rules_ = std::move(rules);
  cooldown_s_ = cooldown_s;
}

std::vector<Transition> AlertEvaluator::evaluate(std::int64_t now_ms, const std::function<Reading(const AlertRule&)>& read) {
  std::vector<Transition> out;
  for (const auto& r : rules_) {
    State& s = states_[r.name];
    s.samples.emplace_back(now_ms, read(r));
    // Keep the newest sample at or before the window's start (the baseline) and what follows.
    const std::int64_t start = now_ms - static_cast<std::int64_t>(r.window_s) * 1000;
    while (s.samples.size() > 2 && s.samples[1].first <= start) s.samples.pop_front();
    const auto& [t0, oldest] = s.samples.front();
    const auto& current = s.samples.back().second;
    s.alert.value = value_of(r.kind, oldest, current, static_cast<double>(now_ms - t0) / 1000.0);
    s.alert.evaluated_ms = now_ms;
    const bool firing = s.alert.value >= r.threshold && (current.type != Reading::Type::ratio || s.alert.value > 0);
    if (firing == s.alert.firing) continue;
    s.alert.firing = firing;
    s.alert.since_ms = now_ms;
    Transition t{s.alert, true};
    if (firing) {
      t.notify = now_ms - s.last_notified_ms >= static_cast<std::int64_t>(cooldown_s_) * 1000;
      if (t.notify) s.last_notified_ms = now_ms;
    }
    out.push_back(std::move(t));
  }
  return out;
}

std::vector<Alert> AlertEvaluator::alerts() const {
  std::vector<Alert> out;
  for (const auto& r : rules_) {
    if (auto it = states_.find(r.name); it != states_.end()) out.push_back(it->second.alert);
  }
  return out;
}

}  // namespace switchyard::alerting
