#pragma once
// The ONE place a request's stages are sequenced, for every operation (chat,
// a stream, embeddings, count_tokens; Messages and Responses arrive here as
// chat with their native request) and every entry (the HTTP front-end and
// the embedded API):
//
//   authenticate → resolve → admit → cache → route → account
//
// authenticate: the key the front-end checked from the head, else the
// request's api_key; the exchange pins that key's configuration generation.
// resolve (resolve_stage): the request's shape, the key's models, the route
// plan; a request that cannot go anywhere (400, 403, 404) takes nothing from
// the key's limits.
// admit (AdmitStage): the key's limits and budget, in memory or Redis.
// cache (CacheStage): a hit or an identical request in flight ends it there.
// route: the generation's Router (attempts, failover, hedges, resumes; shared
// quotas through its QuotaGate). account (AccountStage): the ticket finished
// once, one ledger row, totals, overhead, the access log's outcome.
// A stage that ends the exchange (401, 429, 400, a hit) accounts it and the
// pipeline returns its answer or error; stages know nothing of Gateway.
#include <switchyard/chat.hpp>

#include <boost/asio/awaitable.hpp>

#include <memory>
#include <optional>
#include <string>

#include "pipeline/account_stage.hpp"
#include "pipeline/admit_stage.hpp"
#include "pipeline/cache_stage.hpp"
#include "pipeline/exchange.hpp"
#include "pipeline/generation.hpp"
#include "pipeline/jwt_gate.hpp"
#include "telemetry/tracer.hpp"

namespace switchyard::pipeline {

class ChatPipeline {
 public:
  ChatPipeline(std::shared_ptr<Generation> first, AdmitStage& admit, CacheStage& cache, AccountStage& account)
      : current_(std::move(first)), tally_(current_->tally), admit_(admit), cache_(cache), account_(account) {}

  // The configuration new exchanges get; a reload installs the next one (exchanges
  // already started keep theirs).
  void install(std::shared_ptr<Generation> next) noexcept { current_ = std::move(next); }
  Generation& current() const noexcept { return *current_; }
  const std::shared_ptr<Generation>& current_ptr() const noexcept { return current_; }
  // Holds the current configuration alive (take it before authenticate()).
  std::shared_ptr<const void> pin() const { return current_; }
  // "Bearer <key>" or a bare key, against the current configuration's keys; or an identity
  // provider's JWT (with set_jwt_gate), counted as its team's key.
  result<Identity> authenticate(std::string_view authorization) const;
  void set_jwt_gate(const JwtGate* gate) noexcept { jwt_ = gate; }
  // [telemetry]: sampled exchanges get a trace (a SERVER span, a CLIENT span per attempt). Outlives the pipeline.
  void set_tracer(telemetry::Tracer* tracer) noexcept { tracer_ = tracer; }

  // A whole answer (chat or embeddings, by ex.op).
  boost::asio::awaitable<result<ChatResponse>> answer(Exchange& ex);
  // A stream, handed out once its first chunk is here; accounted when it ends.
  boost::asio::awaitable<result<ChatStream>> stream(std::shared_ptr<Exchange> ex);
  // Anthropic's count_tokens (ex.request.native): asked of the route's first anthropic
  // target, else estimated (~4 characters a token). The answer: {"input_tokens": N}.
  boost::asio::awaitable<result<std::string>> count_tokens(Exchange& ex);

  AccountStage& account() noexcept { return account_; }
  // This reactor's router counters (every generation's router here counts into them; any thread may read).
  const routing::RouterTally& tally() const noexcept { return *tally_; }

 private:
  // authenticate → resolve → admit: the error that ended the exchange (accounted), or nothing.
  boost::asio::awaitable<std::optional<Error>> begin(Exchange& ex);
  boost::asio::awaitable<result<std::string>> count(Exchange& ex);

  std::shared_ptr<Generation> current_;
  std::shared_ptr<routing::RouterTally> tally_;
  AdmitStage& admit_;
  CacheStage& cache_;
  AccountStage& account_;
  const JwtGate* jwt_ = nullptr;
  telemetry::Tracer* tracer_ = nullptr;
  void start_trace(Exchange& ex) const;
  result<Identity> identify(std::string_view authorization, const Generation& gen) const;
};

}  // namespace switchyard::pipeline
