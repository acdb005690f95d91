#include "pipeline/account_stage.hpp"

#include <algorithm>

#include "auth/key_store.hpp"
#include "error/error_response.hpp"
#include "governance/wall_clock.hpp"
#include "routing/attempt_span.hpp"

namespace switchyard::pipeline {

namespace {
constexpr std::int64_t kDayMs = 86'400'000;
}

AccountStage::AccountStage(UsageSink& sink, Clocks clocks, std::shared_ptr<RefusedSampler> sampler)
    : sink_(sink), clocks_(std::move(clocks)), sampler_(sampler ? std::move(sampler) : std::make_shared<RefusedSampler>()) {}

std::int64_t AccountStage::wall_now_ms() const { return clocks_.wall ? clocks_.wall() : governance::wall_now_ms(); }

int AccountStage::status_of(const Error& e, bool head_sent) noexcept {
  if (head_sent && e.code != errc::cancelled) return 200;  // the head said 200; the row's error says how it ended
  return error::http_status_of(e);                        // 499 for a client that left
}

void AccountStage::ready(Exchange& ex, std::string_view provider, std::string_view model, std::chrono::nanoseconds upstream, CacheStatus cache) {
  const auto now = clocks_.steady();
  const auto inside = std::max<Clock::duration>(Clock::duration::zero(), now - ex.started - upstream);
  overhead_.observe(std::chrono::duration<double>(inside).count());
  ex.overhead_us = std::chrono::duration_cast<std::chrono::microseconds>(inside).count();
  UsageRecord& r = ex.record;
  r.provider = provider;
  r.model = model;
  r.upstream = upstream;
  r.cache = cache;
  if (ex.streaming) {
    r.ttft_ms = std::chrono::duration<double, std::milli>(now - ex.started).count();
    ttft_.observe(r.ttft_ms / 1000.0);
  }
  if (RequestOutcome* o = ex.outcome) {
    o->provider = provider;
    o->target_model = model;
    o->status = 200;
    o->overhead_us = ex.overhead_us;
    if (cache != CacheStatus::none) o->cache = to_string(cache);
  }
}

void AccountStage::bill(UsageRecord& r, const Error& e) noexcept {
  if (r.used.reported) return;
  r.used.prompt_tokens = std::max(r.used.prompt_tokens, e.billed_prompt_tokens);
  r.cost_usd = std::max(r.cost_usd, e.billed_usd);
}

void AccountStage::fail(Exchange& ex, const Error& e, bool head_sent) {
  if (ex.accounted) return;
  UsageRecord& r = ex.record;
  r.status = status_of(e, head_sent);
  if (r.provider.empty()) r.provider = e.provider;
  r.error = e;
  finish(ex);
}

void AccountStage::finish(Exchange& ex) {
  if (ex.accounted) return;
  ex.accounted = true;
  UsageRecord& r = ex.record;
  if (r.status == 0) r.status = 200;
  if (ex.ticket) ex.ticket->finish(r.used, r.cost_usd);
  write_row(ex, wall_now_ms());
  if (ex.trace) end_trace(ex);
  if (RequestOutcome* o = ex.outcome; o && (!r.error || r.used.total() > 0)) {
    o->input_tokens = r.used.prompt_tokens;
    o->output_tokens = r.used.completion_tokens;
    o->cost_usd = r.cost_usd;
  }
}

void AccountStage::refused(Exchange& ex, const Error& e) {
  ++refused_total_;
  const std::int64_t now = wall_now_ms();
  if (!sampler_->first_in(ex.key ? ex.key->name : std::string(), now / 1000)) {
    ++refused_unrecorded_;
    ex.accounted = true;
    ex.record.status = error::http_status_of(e);
    ex.record.error = e;
    if (ex.trace) end_trace(ex);
    return;
  }
  ex.record.status = error::http_status_of(e);
  ex.record.error = e;
  finish(ex);
}

void AccountStage::write_row(const Exchange& ex, std::int64_t now_ms) {
  const UsageRecord& r = ex.record;
  ledger::UsageRow row;
  row.time_ms = now_ms;
  row.request_id = ex.request.request_id;
  row.key = ex.key ? std::string_view(ex.key->name) : std::string_view();
  row.route = ex.route;
  row.provider = r.provider;
  row.model = r.model;
  row.status = r.status;
  row.stream = ex.streaming;
  row.prompt_tokens = r.used.prompt_tokens;
  row.cached_tokens = r.used.cached_tokens;
  row.cache_write_tokens = r.used.cache_write_tokens;
  row.completion_tokens = r.used.completion_tokens;
  row.reasoning_tokens = r.used.reasoning_tokens;
  row.cost_usd = r.cost_usd;
  const auto took = clocks_.steady() - ex.started;
  row.latency_ms = std::chrono::duration<double, std::milli>(took).count();
  row.ttft_ms = r.ttft_ms;
  row.error = r.error ? std::string_view(error::code_name(*r.error)) : std::string_view();
  // Until the answer was ready (a stream: handed out), not until its end; less the wait on the provider.
  const double inside_us = ex.overhead_us >= 0 ? static_cast<double>(ex.overhead_us)
                                               : std::chrono::duration<double, std::micro>(took - r.upstream).count();
  row.overhead_us = std::max(0.0, inside_us);
  row.cache = to_string(r.cache);
  row.saved_usd = r.saved_usd;
  if (ex.key) row.team = ex.key->team;
  row.user = ex.user;
  row.failovers = r.failovers;
  sink_.record(row);
  count(row);
}

void AccountStage::end_trace(Exchange& ex) {
  telemetry::RequestTrace& t = *ex.trace;
  telemetry::Span& s = t.server();
  const UsageRecord& r = ex.record;
  s.set("http.response.status_code", static_cast<std::int64_t>(r.status));
  if (!ex.request.request_id.empty()) s.set("switchyard.request_id", ex.request.request_id);
  if (!ex.route.empty()) s.set("switchyard.route", ex.route);
  if (ex.key) {
    s.set("switchyard.key", ex.key->name);  // the key's name, never the key
    if (!ex.key->team.empty()) s.set("switchyard.team", ex.key->team);
  }
  if (r.cache != CacheStatus::none) s.set("switchyard.cache", std::string(to_string(r.cache)));
  if (!r.provider.empty()) s.set("switchyard.provider", r.provider);
  if (!r.model.empty()) s.set("gen_ai.response.model", r.model);
  s.set("switchyard.stream", ex.streaming);
  if (r.used.total() > 0) routing::usage_attributes(s, r.used);
  if (r.cost_usd > 0) s.set("switchyard.cost_usd", r.cost_usd);
  if (r.error) {
    s.set("error.type", std::string(error::code_name(*r.error)));
    if (r.status >= 500 || (r.status == 200 && r.error->code != errc::cancelled)) {  // a 4xx is the client's; a broken stream is ours
      s.status = telemetry::SpanStatus::error;
      s.status_message = r.error->message.substr(0, 200);
    }
  }
  if (auto held = t.held()) {
    telemetry::Span& answering = t.attempt(*held);
    routing::usage_attributes(answering, r.used);
    if (r.error && r.error->code != errc::cancelled) routing::error_attributes(answering, *r.error);
  }
  t.finish(telemetry::wall_now_ns());
}

void AccountStage::seed_today(const Totals& t, std::int64_t day) noexcept {
  today_.set(t);
  today_index_ = day;
}

void AccountStage::count(const ledger::UsageRow& row) noexcept {
  const std::int64_t day = row.time_ms / kDayMs;
  if (day != today_index_) {
    today_.set(Totals{});
    today_index_ = day;
  }
  for (Tally* t : {&since_start_, &today_}) {
    ++t->requests;
    t->errors += row.status >= 400 ? 1 : 0;
    t->tokens += row.prompt_tokens + row.completion_tokens;
    t->cost_usd += row.cost_usd;
  }
}

}  // namespace switchyard::pipeline
