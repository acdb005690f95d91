#pragma once
// Serves a chat request in the client's API (OpenAI chat completions,
// Anthropic Messages, OpenAI Responses), embeddings and count_tokens: parses
// the body, builds one exchange (the key the session checked from the head),
// makes one pipeline call, and writes the answer from it, whole or relayed
// chunk by chunk. It decides no admission, caching or accounting. A client
// that leaves cancels the upstream.
#include <switchyard/chat.hpp>
#include <switchyard/config.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <variant>

#include "observability/relaxed_counter.hpp"
#include "observability/logger.hpp"
#include "pipeline/chat_pipeline.hpp"
#include "server/anthropic_dialect.hpp"
#include "server/gemini_dialect.hpp"
#include "server/memory_budget.hpp"
#include "server/openai_dialect.hpp"
#include "server/responses_dialect.hpp"
#include "server/request_context.hpp"

namespace switchyard::server {

class ChatHandler {
 public:
  // `embeddings_budget`: [server] max_embeddings_memory_bytes (shared by every worker's handler).
  ChatHandler(pipeline::ChatPipeline& pipeline, observability::Logger& log, MemoryBudget& embeddings_budget);

  // POST /v1/chat/completions. (Not coroutines: they parse and hand back the
  // awaitable that answers, so a request costs no extra coroutine frame.)
  boost::asio::awaitable<void> chat_completions(RequestContext& r);
  // POST /v1/messages
  boost::asio::awaitable<void> messages(RequestContext& r);
  // POST /v1/responses (stateless)
  boost::asio::awaitable<void> responses(RequestContext& r);
  // POST /v1/messages/count_tokens (Anthropic's shape)
  boost::asio::awaitable<void> count_tokens(RequestContext& r);
  // POST /v1/embeddings (OpenAI's shape; never streamed, never cached)
  boost::asio::awaitable<void> embeddings(RequestContext& r);
  // POST /v1beta/models/{model}:{generateContent|streamGenerateContent|countTokens|embedContent|batchEmbedContents}
  boost::asio::awaitable<void> gemini(RequestContext& r);

  // What an embeddings answer to `body` may take in memory while it is made and
  // written: inputs x dimensions (3072 when unset) x 16 bytes, plus 64 KiB.
  static std::size_t predicted_embeddings_bytes(const boost::json::object& body) noexcept;
  std::size_t embeddings_memory() const noexcept { return embeddings_budget_.used(); }

  // Stream chunks relayed and the writes that carried them (chunks that
  // arrived together leave together: a burst of events is one write).
  std::uint64_t stream_chunks() const noexcept { return stream_chunks_; }
  std::uint64_t stream_writes() const noexcept { return stream_writes_; }

 private:
  using Dialect = std::variant<OpenAiDialect, AnthropicDialect, ResponsesDialect, GeminiDialect, GeminiEmbedDialect>;
  enum class Kind { chat, embeddings };
  boost::asio::awaitable<void> serve(RequestContext& r, ChatRequest request, bool streaming, Dialect dialect, Kind kind = Kind::chat);
  // Embeddings (OpenAI's request in `body`) answered in `dialect`'s shape, within the embeddings memory budget.
  boost::asio::awaitable<void> embed(RequestContext& r, boost::json::object body, Dialect dialect);
  // A stream's bytes framed and not yet written are written at this size at the latest.
  static constexpr std::size_t kMaxBatch = 64 * 1024;
  std::shared_ptr<pipeline::Exchange> exchange(RequestContext& r, ChatRequest request, pipeline::Operation op, bool streaming);
  boost::asio::awaitable<void> answer(RequestContext& r, pipeline::Exchange& ex, ChatDialect& dialect);
  boost::asio::awaitable<void> relay(RequestContext& r, std::shared_ptr<pipeline::Exchange> ex, ChatDialect& dialect);
  static void cache_headers(RequestContext& r, CacheStatus status, std::int64_t age_ms);
  enum class Ended { no, clean, broken };
  Ended frame(RequestContext& r, ChatStream& stream, ChunkSource::Item& chunk, ChatDialect& dialect, std::string& batch,
              std::string& why);

  pipeline::ChatPipeline& pipeline_;
  observability::Logger& log_;
  MemoryBudget& embeddings_budget_;  // [server] max_embeddings_memory_bytes
  observability::RelaxedCounter<std::uint64_t> stream_chunks_;  // read by another worker's /metrics
  observability::RelaxedCounter<std::uint64_t> stream_writes_;
};

}  // namespace switchyard::server
