#include "routing/first_chunk_gate.hpp"

#include "providers/upstream_error.hpp"
#include "resilience/retry_policy.hpp"

namespace switchyard::routing {

FirstChunkGate::FirstChunkGate(std::unique_ptr<ChunkSource> inner, std::optional<std::string_view> first, TargetState* target,
                               const TargetConfig* prices, observability::RelaxedCounter<std::uint64_t>& stream_breaks, const std::vector<std::string>& secrets,
                               QuotaHold quota, std::int64_t prompt_estimate, std::chrono::steady_clock::time_point started)
    : started_(started), inner_(std::move(inner)), first_(first), target_(target), use_(target), prices_(prices), stream_breaks_(stream_breaks),
      secrets_(secrets), quota_(std::move(quota)), prompt_estimate_(prompt_estimate) {}

Usage FirstChunkGate::usage() const noexcept {
  Usage u = inner_->usage();
  if (!u.reported && u.prompt_tokens == 0) u.prompt_tokens = prompt_estimate_;  // no word of the prompt from the provider
  return u;
}

FirstChunkGate::~FirstChunkGate() { count_usage(); }

boost::asio::awaitable<ChunkSource::Item> FirstChunkGate::next() {
  if (auto ready = poll()) co_return std::move(*ready);
  auto r = co_await inner_->next();
  co_return after(std::move(r));
}

std::optional<ChunkSource::Item> FirstChunkGate::poll() {
  if (pending_) {
    pending_ = false;
    return Item(first_);
  }
  auto r = inner_->poll();
  if (!r) return std::nullopt;
  return after(std::move(*r));
}

ChunkSource::Item FirstChunkGate::after(Item r) {
  if (!r) r = providers::redacted(r.error(), secrets_);  // upstream text: no key leaves, whatever the provider echoed
  if (!r && r.error().code != errc::cancelled && resilience::counts_against_target(r.error())) {
    ++stream_breaks_;
    const auto now = std::chrono::steady_clock::now();
    target_->health->on_failure(now, false, std::nullopt);
    auto held = lock_state(*target_);
    target_->breaker.on_failure(now);
  }
  if (!r || !*r) count_usage();  // the end: counted before the client sees it
  return r;
}

void FirstChunkGate::count_usage() noexcept {
  if (counted_) return;
  counted_ = true;
  const Usage used = usage();
  target_->genai_duration.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count());
  {
    auto held = lock_state(*target_);
    target_->account(used, prices_);
  }
  quota_.finish(static_cast<std::uint64_t>(std::max<std::int64_t>(0, used.total())));
}

}  // namespace switchyard::routing
