#pragma once
// A stream as the router hands it out: the first chunk (already received,
// so a failure before it could still be failed over), then the rest. A break
// after the first chunk feeds the target's health and breaker; the tokens the
// stream used are accounted to its target when it ends (finished, broken, or
// dropped by a client that left). Upstream error text is redacted of
// provider secrets before the client sees it.
// What a stream is charged when the provider reported less than it bills:
// without any word of the prompt from the provider (a stream cut before its
// usage, a provider that never sends one) the prompt counts as the gateway's
// estimate (`prompt_estimate`, made from the request); the completion counts
// what the provider's stream reader counted (about a token a delta). Never
// nothing: the provider read the prompt and bills it.
#include <switchyard/chat.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "observability/relaxed_counter.hpp"
#include "routing/target_registry.hpp"

namespace switchyard::routing {

class FirstChunkGate final : public ChunkSource {
 public:
  // `stream_breaks` counts breaks after the first chunk; `secrets` outlives the gate.
  FirstChunkGate(std::unique_ptr<ChunkSource> inner, std::optional<std::string_view> first, TargetState* target,
                 const TargetConfig* prices, observability::RelaxedCounter<std::uint64_t>& stream_breaks, const std::vector<std::string>& secrets,
                 QuotaHold quota = {}, std::int64_t prompt_estimate = 0,
                 std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now());
  ~FirstChunkGate() override;
  FirstChunkGate(const FirstChunkGate&) = delete;
  FirstChunkGate& operator=(const FirstChunkGate&) = delete;

  Usage usage() const noexcept override;
  double cost_usd() const noexcept override { return cost_of(usage(), prices_); }
  boost::asio::awaitable<Item> next() override;
  std::optional<Item> poll() override;
  boost::asio::awaitable<void> fill() override { return inner_->fill(); }

 private:
  Item after(Item r);  // a break feeds health and breaker; the end counts usage
  void count_usage() noexcept;  // once: at the end, or when dropped before it
  std::chrono::steady_clock::time_point started_;  // the attempt's start (the GenAI duration's)

  std::unique_ptr<ChunkSource> inner_;
  std::optional<std::string_view> first_;
  bool counted_ = false;
  bool pending_ = true;
  TargetState* target_;
  TargetUse use_;
  const TargetConfig* prices_;
  observability::RelaxedCounter<std::uint64_t>& stream_breaks_;
  const std::vector<std::string>& secrets_;
  QuotaHold quota_;  // the declared quotas this stream holds, reconciled when it ends
  std::int64_t prompt_estimate_;
};

}  // namespace switchyard::routing
