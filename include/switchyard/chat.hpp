#pragma once
// Provider-neutral chat types of the embeddable API. Bodies are OpenAI
// chat.completions JSON: that is the gateway's lingua franca.
#include <switchyard/asio_config.hpp>

#include <switchyard/config.hpp>
#include <switchyard/error.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace switchyard {

namespace auth {
struct KeyEntry;  // a configured client key, opaque here
}

// Tokens a completion used, the same for every provider (filled from the
// provider's own usage report: OpenAI usage, Anthropic usage, Gemini
// usageMetadata). Used for cost and limits.
struct Usage {
  std::int64_t prompt_tokens = 0;      // cached tokens included
  std::int64_t completion_tokens = 0;  // reasoning tokens included
  std::int64_t cached_tokens = 0;      // prompt tokens read from the provider's cache
  std::int64_t cache_write_tokens = 0; // prompt tokens written to it (Anthropic's cache_creation_input_tokens)
  std::int64_t reasoning_tokens = 0;   // "thinking" tokens, where the provider reports them
  // true: the provider reported these numbers. false: the stream ended (or was
  // cancelled) before the report, and completion_tokens counts the content
  // chunks relayed so far (about one token each).
  bool reported = false;
  std::int64_t total() const noexcept { return prompt_tokens + completion_tokens; }
  // Adds the counts (`reported` is left as it is).
  Usage& operator+=(const Usage& o) noexcept {
    prompt_tokens += o.prompt_tokens;
    completion_tokens += o.completion_tokens;
    cached_tokens += o.cached_tokens;
    cache_write_tokens += o.cache_write_tokens;
    reasoning_tokens += o.reasoning_tokens;
    return *this;
  }
};

// What a request took from its key's limits (a concurrency slot, reserved
// tokens). finish() gives the slot back, reconciles the reservation with the
// tokens the answer used and adds its cost to the key's budget; a ticket
// destroyed unfinished (a cancelled request) finishes with nothing used.
class AdmissionTicket {
 public:
  virtual ~AdmissionTicket() = default;
  virtual void finish(const Usage& used, double cost_usd) noexcept = 0;
};

// A key's tightest window after a request was admitted (limit 0: no such limit).
struct LimitStatus {
  std::uint64_t limit = 0;
  std::uint64_t remaining = 0;
  std::chrono::milliseconds reset{0};  // until the window is whole again
};

// The answer of the admission stage (the key's Governor).
struct Admission {
  std::shared_ptr<AdmissionTicket> ticket;  // null: nothing taken (the key has no limits and no budget)
  LimitStatus requests, tokens;
  std::optional<Error> refused;             // set: 429 (rate_limited or budget_exceeded), with retry_after
};

// A client API other than chat completions.
enum class NativeApi {
  anthropic_messages,  // spoken by anthropic providers
  openai_responses,    // spoken by openai / azure providers declared `responses = true`
  gemini_generate,     // Gemini's generateContent: spoken by gemini providers and vertex providers' Gemini models
};

// The client's request in its own API (Anthropic Messages, OpenAI
// Responses), kept beside the translated body for targets whose provider
// speaks that API: they get it as it came, only "model" rewritten, and their
// answer goes back untouched, so cache_control, thinking blocks and their
// signatures, documents, citations and reasoning items survive. Other
// targets get the translated body.
struct NativeRequest {
  NativeApi api = NativeApi::anthropic_messages;
  boost::json::object body;
  std::vector<std::pair<std::string, std::string>> headers;  // forwarded to such targets (anthropic-beta)
};

// What a request allows the response cache ([cache], a route's `cache =
// true`) to do; the HTTP front-end reads it from Cache-Control and
// x-switchyard-cache. Ignored on routes that do not cache.
struct CacheControl {
  bool no_cache = false;          // skip the lookup (and coalescing): a fresh answer, still stored
  bool no_store = false;          // do not store this answer
  bool off = false;               // neither look up nor store (x-switchyard-cache: off)
  std::int64_t max_age_ms = -1;   // accept an entry at most this old (-1: any within its TTL)
};

// How the response cache served a request.
enum class CacheStatus {
  none,       // the route does not cache
  miss,       // asked the provider (and stored the answer if it completed)
  hit,        // served from the cache
  coalesced,  // an identical request was in flight: its answer was shared
  bypass,     // the request asked not to use the cache
};
std::string_view to_string(CacheStatus status) noexcept;

struct ChatRequest {
  boost::json::object body;             // an OpenAI chat.completions request ("model", "messages", ...)
  std::optional<std::string> api_key;   // a Switchyard key; nullopt = trusted in-process caller (no key check)
  std::string request_id;               // forwarded upstream as x-request-id when set
  // Set: `body` is a translation of this request (see NativeRequest).
  std::shared_ptr<const NativeRequest> native;
  CacheControl cache;
  // The end user the request is made for (their limits, budget and ledger rows): empty = the
  // body's "user" / "safety_identifier" (Anthropic: metadata.user_id), if any.
  std::string user;
};

struct ChatResponse {
  std::string body;      // the chat.completion JSON as the provider sent it
  std::string provider;  // provider that answered
  std::string model;     // upstream model
  std::chrono::nanoseconds upstream_time{0};  // spent waiting on the provider
  Usage usage;
  double cost_usd = 0;   // usage at the answering target's prices
  bool native = false;   // body is in the client's own API (the request's NativeRequest was sent as it came)
  CacheStatus cache = CacheStatus::none;
  std::int64_t cache_age_ms = 0;  // a hit: how old the entry is
};

// A source of chat.completion.chunk JSON texts, one per call.
class ChunkSource {
 public:
  using Item = result<std::optional<std::string_view>>;
  virtual ~ChunkSource() = default;
  // The next chunk (valid until the next call to next() or poll()), nullopt
  // at the clean end of the stream, or the error that broke it.
  virtual boost::asio::awaitable<Item> next() = 0;
  // The next item if it is here without waiting (bytes already received),
  // else nullopt: then next() waits for it. Chunks that arrived together are
  // taken this way and leave together; no I/O, no coroutine.
  virtual std::optional<Item> poll() { return std::nullopt; }
  // Waits until poll() may have news (bytes arrived, the stream ended or
  // broke), in one coroutine whatever the layers above it: a relay waits
  // with fill() and takes with poll(). A source without poll() returns at
  // once; next() then does the waiting.
  virtual boost::asio::awaitable<void> fill() { co_return; }
  // Tokens used so far: the provider's report once it came, else an estimate.
  virtual Usage usage() const noexcept = 0;
  // What they cost at the prices of the target(s) that produced them.
  virtual double cost_usd() const noexcept { return 0; }
};

// A streamed completion. The first chunk has already arrived when the
// gateway hands the stream out, so errors before it are plain errors.
class ChatStream {
 public:
  ChatStream(std::unique_ptr<ChunkSource> source, std::string provider, std::string model,
             std::chrono::nanoseconds upstream_time = {})
      : source_(std::move(source)), provider_(std::move(provider)), model_(std::move(model)),
        upstream_time_(upstream_time) {}

  boost::asio::awaitable<ChunkSource::Item> next() { return source_->next(); }
  std::optional<ChunkSource::Item> poll() { return source_->poll(); }
  boost::asio::awaitable<void> fill() { return source_->fill(); }
  Usage usage() const noexcept { return source_->usage(); }
  double cost_usd() const noexcept { return source_->cost_usd(); }
  const std::string& provider() const noexcept { return provider_; }
  const std::string& model() const noexcept { return model_; }
  // The chunks are the client's own API's SSE events, framed as they came
  // ("event: ...\ndata: ...\n\n"): the request's NativeRequest was sent as it came.
  bool native() const noexcept { return native_; }
  void set_native(bool native) noexcept { native_ = native; }
  // How the response cache served it (a hit is replayed from memory).
  CacheStatus cache() const noexcept { return cache_; }
  std::int64_t cache_age_ms() const noexcept { return cache_age_ms_; }
  void set_cache(CacheStatus status, std::int64_t age_ms = 0) noexcept {
    cache_ = status;
    cache_age_ms_ = age_ms;
  }
  // Time spent waiting on the provider until the first chunk.
  std::chrono::nanoseconds upstream_time() const noexcept { return upstream_time_; }

 private:
  std::unique_ptr<ChunkSource> source_;
  std::string provider_;
  std::string model_;
  std::chrono::nanoseconds upstream_time_{0};
  bool native_ = false;
  CacheStatus cache_ = CacheStatus::none;
  std::int64_t cache_age_ms_ = 0;
};

}  // namespace switchyard
