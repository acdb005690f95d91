#pragma once
// One request's state on its way through the pipeline (chat_pipeline): the
// client's request and what each stage decided of it: who asked (the key and
// the configuration generation it belongs to), where it goes (the model and
// the route plan), what it took from the key (the admission ticket and the
// windows for the x-ratelimit-* headers), how the cache serves it, and the
// usage record the account stage writes once it ended. It replaces the
// flags and positional arguments that carried these before; an exchange is
// neither copied nor moved (the plan views `route`): it lives in a
// shared_ptr when a stream or a cache fetch outlives the call that made it.
#include <switchyard/chat.hpp>
#include <switchyard/error.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "cache/response_cache.hpp"
#include "pipeline/accounting.hpp"
#include "routing/route_resolver.hpp"
#include "telemetry/request_trace.hpp"

namespace switchyard::auth {
struct KeyEntry;
}

namespace switchyard::pipeline {

struct Generation;
using Clock = std::chrono::steady_clock;

enum class Operation { chat, embeddings, count_tokens };

// What the ledger row says of how the exchange ended, by name.
struct UsageRecord {
  std::string provider, model;            // the target that answered (or the provider that failed)
  int status = 0;                         // as the client saw it: 499 for a client that left
  Usage used;                             // tokens (what the provider billed, even for a failure after it had the request)
  double cost_usd = 0;
  double ttft_ms = 0;                     // streams: until the first chunk was handed out
  std::chrono::nanoseconds upstream{0};   // waited on the provider (not the gateway's overhead)
  CacheStatus cache = CacheStatus::none;
  double saved_usd = 0;                   // a hit or coalesced request: what the answer cost when fetched
  int failovers = 0;                      // moves to another target (the router counts them here)
  std::optional<Error> error;
};

struct Exchange {
  Exchange(ChatRequest r, Operation operation, bool stream, Clock::time_point at)
      : request(std::move(r)), op(operation), streaming(stream), started(at) {}
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  ChatRequest request;          // count_tokens: request.native is the Anthropic request
  Operation op;
  bool streaming;
  Clock::time_point started;    // when the request had been read (HTTP) or the call began

  // authenticate: set before the pipeline runs by a front-end that checked the key from the
  // head (HTTP), else from request.api_key; `gen` pins the configuration the key belongs to.
  const auth::KeyEntry* key = nullptr;
  std::shared_ptr<Generation> gen;
  std::string user;  // the end user (request.user, a JWT's user claim, or the body's user field); "" = none

  // admit: what the request took from its key, and the tightest windows (limit 0: none).
  std::shared_ptr<AdmissionTicket> ticket;
  LimitStatus requests, tokens;
  // The key's concurrency slot is kept until the exchange goes (the HTTP front-end: until an
  // embeddings answer, hundreds of times its request, is written), not until the answer is made.
  bool hold_slot_to_end = false;

  // resolve: the model as asked (the plan views it) and where it may go.
  std::string route;
  routing::RoutePlan plan;

  cache::CachePlan cache;

  // trace: the front-end's W3C trace context and the SERVER span's name ("POST /v1/chat/completions";
  // "" for the embedded API); the request's spans when it is sampled ([telemetry]), else null.
  std::string traceparent, tracestate;
  // The request's method and path, viewing the front-end's request head (read only when the trace
  // starts, in the pipeline's first stage, while the head is alive): no string built untraced.
  std::string_view entry_method, entry_path;
  std::unique_ptr<telemetry::RequestTrace> trace;

  // account: filled once, when the exchange ended (`accounted`).
  UsageRecord record;
  bool accounted = false;
  std::int64_t overhead_us = -1;  // inside the gateway until the answer (a stream: its first chunk) was ready
  // The access log's line (HTTP), filled by the account stage; null for an embedder, and
  // cleared by the front-end once its request is over (a cache fetch may outlive it).
  RequestOutcome* outcome = nullptr;
};

}  // namespace switchyard::pipeline
