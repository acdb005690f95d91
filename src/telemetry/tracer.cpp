#include "telemetry/tracer.hpp"

#include "telemetry/span_exporter.hpp"

namespace switchyard::telemetry {

Tracer::Tracer(const TelemetryConfig& config, Resource resource, bool export_spans, std::uint64_t content_budget)
    : config_(config), enabled_(!config.otlp_endpoint.empty()), content_budget_(content_budget), queue_(config.queue_spans) {
  if (enabled_ && export_spans) exporter_ = std::make_unique<SpanExporter>(config_, std::move(resource), queue_, counters_);
}

Tracer::~Tracer() { shutdown(Millis(0)); }

std::unique_ptr<RequestTrace> Tracer::start(std::string_view traceparent, std::string_view tracestate, std::string name,
                                            std::int64_t start_ns) {
  if (!enabled_) return nullptr;
  Span s;
  s.kind = SpanKind::server;
  s.name = std::move(name);
  s.start_ns = start_ns;
  s.id = new_span_id();
  if (auto parent = parse_traceparent(traceparent)) {
    if (!parent->sampled()) return nullptr;  // parent-based: the client's decision stands
    s.trace = parent->trace;
    s.parent = parent->parent;
    s.remote_parent = true;
    s.flags = parent->flags;
    if (tracestate.size() <= 512) s.trace_state = std::string(tracestate);
  } else {
    if (config_.sample_ratio < 1.0 && sample_draw() >= config_.sample_ratio) return nullptr;
    s.trace = new_trace_id();
    s.flags = 1;
  }
  counters_.traces.fetch_add(1, std::memory_order_relaxed);
  return std::make_unique<RequestTrace>(*this, std::move(s));
}

namespace {
// GCC 12 at -O2 reports a false -Wmaybe-uninitialized here, in std::variant's move of the bool set
// below (it reads the inactive std::vector alternative's members; GCC bug 80635's family).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
void strip_content(Span& span) {
  std::erase_if(span.events, [](const SpanEvent& e) { return e.name.starts_with("gen_ai.content."); });
  span.set("switchyard.content_dropped", true);
}
#pragma GCC diagnostic pop
}  // namespace

void Tracer::submit(Span&& span) noexcept {
  if (config_.capture_content) {
    std::uint64_t bytes = 0;
    for (const auto& e : span.events) {
      for (const auto& a : e.attributes) {
        if (const auto* text = std::get_if<std::string>(&a.value)) bytes += text->size();
      }
    }
    if (bytes > 0 && counters_.content_bytes.fetch_add(bytes) + bytes > content_budget_) {
      counters_.content_bytes.fetch_sub(bytes);
      strip_content(span);
      counters_.content_stripped.fetch_add(1, std::memory_order_relaxed);
      bytes = 0;
    }
    span.content_bytes = static_cast<std::uint32_t>(bytes);
  }
  const auto bytes = span.content_bytes;
  if (!queue_.push(std::move(span))) {
    counters_.dropped_queue.fetch_add(1, std::memory_order_relaxed);
    counters_.content_bytes.fetch_sub(bytes);
  }
}

void Tracer::shutdown(Millis grace) {
  if (exporter_) exporter_->stop(grace);
}

}  // namespace switchyard::telemetry
