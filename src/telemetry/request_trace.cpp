#include "telemetry/request_trace.hpp"

#include "telemetry/tracer.hpp"

namespace switchyard::telemetry {

RequestTrace::RequestTrace(Tracer& tracer, Span server) : tracer_(tracer), server_(std::move(server)) {}

RequestTrace::~RequestTrace() {
  if (!finished_) finish(wall_now_ns());
}

bool RequestTrace::capture_content() const noexcept { return tracer_.capture_content(); }

std::size_t RequestTrace::begin_attempt(std::string name, std::int64_t start_ns) {
  Span s;
  s.trace = server_.trace;
  s.id = new_span_id();
  s.parent = server_.id;
  s.flags = server_.flags;
  s.trace_state = server_.trace_state;
  s.name = std::move(name);
  s.kind = SpanKind::client;
  s.start_ns = start_ns;
  if (attempts_.empty()) attempts_.reserve(2);
  attempts_.push_back(Attempt{std::move(s), false});
  return attempts_.size() - 1;
}

void RequestTrace::end_attempt(std::size_t i, std::int64_t end_ns) {
  if (held_ == i) return;
  Attempt& a = attempts_[i];
  if (a.ended) return;
  a.ended = true;
  a.span.end_ns = end_ns;
  tracer_.submit(std::move(a.span));
}

void RequestTrace::hold(std::size_t i) {
  if (held_ && *held_ != i) {
    const std::size_t before = *held_;
    held_.reset();
    end_attempt(before, wall_now_ns());
  }
  held_ = i;
}

std::string RequestTrace::traceparent(std::size_t i) const {
  return format_traceparent(server_.trace, attempts_[i].span.id, server_.flags);
}

void RequestTrace::event(std::string_view name, std::vector<Attribute> attributes) {
  server_.events.push_back(SpanEvent{wall_now_ns(), name, std::move(attributes)});
}

void RequestTrace::finish(std::int64_t end_ns) {
  if (finished_) return;
  finished_ = true;
  if (held_) {
    const std::size_t i = *held_;
    held_.reset();
    if (!finish_reasons_.empty() && !attempts_[i].span.get("gen_ai.response.finish_reasons")) {
      attempts_[i].span.set("gen_ai.response.finish_reasons", finish_reasons_);
    }
    end_attempt(i, end_ns);
  }
  for (std::size_t i = 0; i < attempts_.size(); ++i) end_attempt(i, end_ns);  // an attempt still open (never, but never lost)
  server_.end_ns = end_ns;
  tracer_.submit(std::move(server_));
}

}  // namespace switchyard::telemetry
