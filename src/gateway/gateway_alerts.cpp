// Gateway's alerts: the readings each [[alerts]] rule takes from what the
// gateway already keeps (no work on the request path), the evaluation loop
// on the main reactor, the webhook, /admin/alerts and the metrics.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include <optional>

#include "alerting/alert_payload.hpp"
#include "auth/key_store.hpp"
#include "gateway/gateway_impl.hpp"
#include "governance/wall_clock.hpp"

namespace switchyard {

namespace asio = boost::asio;
using alerting::Reading;

namespace {

bool target_matches(const AlertRule& r, const routing::TargetState& st, const Config& cfg) {
  if (!r.provider.empty() && st.provider != r.provider) return false;
  if (r.route.empty()) return true;
  for (const auto& m : cfg.models) {
    if (m.name != r.route) continue;
    for (const auto& t : m.targets) {
      if (t.provider == st.provider && t.model == st.model) return true;
    }
  }
  return false;
}

// A histogram's counts as cumulative-per-bucket readings (the last entry: above the last bound).
Reading quantile_reading(const std::optional<observability::FixedHistogram>& h) {
  Reading out;
  out.type = Reading::Type::quantile;
  if (!h) return out;
  std::uint64_t in_buckets = 0;
  for (std::size_t i = 0; i < h->bounds().size(); ++i) {
    out.bounds.push_back(h->bounds()[i]);
    out.buckets.push_back(h->bucket(i));
    in_buckets += h->bucket(i);
  }
  out.buckets.push_back(h->count() > in_buckets ? h->count() - in_buckets : 0);
  return out;
}

double budget_fraction(const boost::json::object& status) {
  const auto* b = status.if_contains("budget");
  if (!b || !b->is_object()) return 0;
  const double usd = b->as_object().at("usd").to_number<double>();
  return usd > 0 ? b->as_object().at("spent_usd").to_number<double>() / usd : 0;
}

Reading target_reading(pipeline::SharedGeneration& g, const AlertRule& r) {
  Reading out;
  const auto now = std::chrono::steady_clock::now();
  std::optional<observability::FixedHistogram> merged;
  g.targets.for_each([&](const routing::TargetState& st) {
    if (!target_matches(r, st, g.config)) return;
    switch (r.kind) {
      case AlertKind::error_rate:
        out.type = Reading::Type::ratio;
        out.numerator += static_cast<double>(st.attempts_failed);
        out.denominator += static_cast<double>(st.attempts_ok + st.attempts_failed);
        break;
      case AlertKind::latency_p99:
      case AlertKind::ttft_p99: {
        const auto& h = r.kind == AlertKind::latency_p99 ? st.latency : st.ttft;
        if (merged) merged->merge(h);
        else merged.emplace(h);
        break;
      }
      case AlertKind::circuit_open: out.value += st.breaker.state(now) == resilience::CircuitState::open ? 1 : 0; break;
      default: break;
    }
  });
  if (r.kind == AlertKind::error_rate) out.type = Reading::Type::ratio;
  if (r.kind == AlertKind::latency_p99 || r.kind == AlertKind::ttft_p99) return quantile_reading(merged);
  return out;
}

Reading read_rule(Gateway::Impl& impl, const AlertRule& r) {
  auto g = impl.now();
  Reading out;
  switch (r.kind) {
    case AlertKind::error_rate:
    case AlertKind::latency_p99:
    case AlertKind::ttft_p99:
    case AlertKind::circuit_open: return target_reading(*g, r);
    case AlertKind::no_target:  // requests no target could take, counted by every reactor's router
      for (const auto& reactor : impl.reactors) {
        const auto c = reactor->pipeline.tally().counters();
        if (auto it = c.failures.find("no_target_available"); it != c.failures.end()) out.value += static_cast<double>(it->second);
      }
      return out;
    case AlertKind::budget:  // the highest share of a budget spent among the selected keys or teams
      for (std::size_t i = 0; r.team.empty() && i < g->config.keys.size(); ++i) {
        if (!r.key.empty() && g->config.keys[i].name != r.key) continue;
        out.value = std::max(out.value, budget_fraction(g->governor.status(auth::KeyEntry{g->config.keys[i].name, {}, i})));
      }
      for (std::size_t i = 0; r.key.empty() && i < g->config.teams.size(); ++i) {
        if (!r.team.empty() && g->config.teams[i].name != r.team) continue;
        out.value = std::max(out.value, budget_fraction(g->governor.team_status(i)));
      }
      return out;
    case AlertKind::quota:  // the highest share of a declared quota used among the selected targets
      for (const auto& t : g->targets.status()) {
        if (!r.provider.empty() && t.provider != r.provider) continue;
        for (const auto* w : {&t.quota_requests, &t.quota_tokens}) {
          if (w->limit > 0) out.value = std::max(out.value, 1.0 - static_cast<double>(w->remaining) / static_cast<double>(w->limit));
        }
      }
      return out;
    case AlertKind::spend_rate:  // USD per hour over the window, from every reactor's totals
      out.type = Reading::Type::rate;
      for (const auto& reactor : impl.reactors) out.value += reactor->account.since_start().cost_usd;
      return out;
  }
  return out;
}

asio::awaitable<void> evaluate_loop(std::shared_ptr<AlertMonitor> m, Gateway::Impl& impl) {
  while (!m->stopped) {
    const auto now = static_cast<std::int64_t>(governance::wall_now_ms());
    auto changes = m->evaluator.evaluate(now, [&](const AlertRule& r) { return read_rule(impl, r); });
    for (const auto& t : changes) {
      if (!t.notify) {
        if (m->notifier) ++m->notifier->counters().suppressed;
        continue;
      }
      if (m->notifier) m->notifier->send(m->config.slack ? alerting::slack_payload(t.alert) : alerting::json_payload(t.alert));
    }
    {
      std::lock_guard lock(m->mu);
      m->snapshot = m->evaluator.alerts();
      ++m->evaluations;
    }
    m->timer.expires_after(m->config.evaluate_every);
    co_await m->timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

}  // namespace

AlertMonitor::AlertMonitor(const asio::any_io_executor& ex, const Config& c)
    : evaluator(c.alerts, c.alerting.cooldown_s), config(c.alerting), timer(ex) {
  if (!c.alerting.webhook_url.empty()) notifier = std::make_unique<alerting::WebhookNotifier>(ex, c.alerting);
}

void Gateway::Impl::start_alerts(const Config& config) {
  if (alerts) {  // a reload: the rules change, each keeping its window and state; a new webhook applies at the next start
    asio::post(ex, [m = alerts, rules = config.alerts, a = config.alerting] {  // on the evaluator's reactor
      m->evaluator.set_rules(rules, a.cooldown_s);
      m->config.cooldown_s = a.cooldown_s;
      m->config.slack = a.slack;
      m->config.evaluate_every = a.evaluate_every;
    });
    return;
  }
  if (config.alerts.empty()) return;
  alerts = std::make_shared<AlertMonitor>(ex, config);
  asio::co_spawn(ex, evaluate_loop(alerts, *this), asio::detached);  // stop_alerts() ends it
}

void Gateway::Impl::stop_alerts() {
  if (!alerts || alerts->stopped) return;
  alerts->stopped = true;
  alerts->timer.cancel();
  if (alerts->notifier) alerts->notifier->stop();
}

std::string Gateway::alerts_json() const {
  boost::json::array list;
  std::uint64_t evaluations = 0;
  if (const auto& m = impl_->alerts) {
    std::lock_guard lock(m->mu);
    for (const auto& a : m->snapshot) list.push_back(boost::json::parse(alerting::alert_json(a)));
    evaluations = m->evaluations;
  }
  return boost::json::serialize(boost::json::object{{"alerts", std::move(list)}, {"evaluations", evaluations}});
}

void write_alert_metrics(observability::PrometheusWriter& out, const Gateway::Impl& impl) {
  const auto& m = impl.alerts;
  if (!m) return;
  std::vector<alerting::Alert> list;
  {
    std::lock_guard lock(m->mu);
    list = m->snapshot;
  }
  out.help("switchyard_alert_firing", "gauge", "1 while the [[alerts]] rule fires.");
  for (const auto& a : list) out.sample("switchyard_alert_firing", {{"alert", a.name}, {"kind", a.kind}}, a.firing ? 1 : 0);
  out.help("switchyard_alert_value", "gauge", "The rule's value at its last evaluation (a ratio, milliseconds, a fraction, a count or USD per hour, by kind).");
  for (const auto& a : list) out.sample("switchyard_alert_value", {{"alert", a.name}, {"kind", a.kind}}, a.value);
  if (!m->notifier) return;
  auto& c = m->notifier->counters();
  out.help("switchyard_alert_notifications_total", "counter",
           "Webhook notifications: sent, failed (after every try), dropped (queue full), suppressed (a repeat firing within cooldown_s).");
  for (auto [result, n] : {std::pair{"sent", &c.sent}, {"failed", &c.failed}, {"dropped", &c.dropped}, {"suppressed", &c.suppressed}}) {
    out.sample("switchyard_alert_notifications_total", {{"result", result}}, static_cast<double>(n->load()));
  }
  out.help("switchyard_alert_webhook_retries_total", "counter", "Webhook POSTs tried again after a failure.");
  out.sample("switchyard_alert_webhook_retries_total", {}, static_cast<double>(c.retries.load()));
}

}  // namespace switchyard
