#include "server/chat_handler.hpp"

#include <boost/json/serialize.hpp>

#include "server/rate_limit_headers.hpp"

#include "providers/anthropic_inbound.hpp"

namespace switchyard::server {

namespace asio = boost::asio;

namespace {
void append(std::string& out, asio::const_buffer b) { out.append(static_cast<const char*>(b.data()), b.size()); }
}  // namespace

ChatHandler::ChatHandler(pipeline::ChatPipeline& pipeline, observability::Logger& log, MemoryBudget& embeddings_budget)
    : pipeline_(pipeline), log_(log), embeddings_budget_(embeddings_budget) {}

namespace {
// The request's outcome is the access log's while the request lasts; an exchange
// a cache fetch still holds afterwards no longer writes to it.
struct Detach {
  pipeline::Exchange& ex;
  ~Detach() { ex.outcome = nullptr; }
};
}  // namespace

std::shared_ptr<pipeline::Exchange> ChatHandler::exchange(RequestContext& r, ChatRequest request, pipeline::Operation op, bool streaming) {
  auto ex = std::make_shared<pipeline::Exchange>(std::move(request), op, streaming, r.read_at);
  ex->key = r.key;  // checked from the head, before the body was read (r.pin holds its configuration)
  ex->outcome = &r.outcome;
  ex->request.cache = r.head.cache;
  ex->traceparent = r.head.traceparent;
  ex->tracestate = r.head.tracestate;
  ex->entry_method = r.head.method_text;
  ex->entry_path = r.head.path();
  if (!r.end_user.empty()) ex->user = r.end_user;  // a JWT's user claim: the identity provider's word, not the client's
  else if (ex->request.user.empty()) ex->request.user = r.head.end_user;
  return ex;
}

std::size_t ChatHandler::predicted_embeddings_bytes(const boost::json::object& body) noexcept {
  std::size_t inputs = 1;
  if (const auto* input = body.if_contains("input"); input && input->is_array()) {
    const auto& a = input->as_array();
    const bool token_ids = !a.empty() && a[0].is_number();  // one input given as token ids
    inputs = token_ids ? 1 : std::max<std::size_t>(1, a.size());
  }
  std::size_t dimensions = 3072;
  if (const auto* d = body.if_contains("dimensions"); d && d->is_int64() && d->as_int64() > 0) {
    dimensions = static_cast<std::size_t>(std::min<std::int64_t>(d->as_int64(), 1 << 16));
  }
  return inputs * dimensions * 16 + 64 * 1024;
}

asio::awaitable<void> ChatHandler::chat_completions(RequestContext& r) {
  auto parsed = r.json.parse(r.body);
  if (!parsed) return r.respond_error(parsed.error());
  if (!parsed->is_object()) return r.respond_error(make_error(errc::invalid_request, "the request body must be a JSON object"));
  ChatRequest request{std::move(parsed->as_object()), std::nullopt, r.head.request_id};
  if (auto* m = request.body.if_contains("model"); m && m->is_string()) r.outcome.model = pipeline::loggable(m->as_string());
  const auto* stream_flag = request.body.if_contains("stream");
  const bool streaming = stream_flag && stream_flag->is_bool() && stream_flag->as_bool();
  return serve(r, std::move(request), streaming, Dialect(std::in_place_type<OpenAiDialect>));
}

// Anthropic's Messages API inbound: translated to a chat request for the
// router, the answer translated back; errors in Anthropic's shape.
asio::awaitable<void> ChatHandler::messages(RequestContext& r) {
  auto parsed = r.json.parse(r.body);
  if (!parsed) return r.respond_error(parsed.error());
  if (!parsed->is_object()) return r.respond_error(make_error(errc::invalid_json, "the request body is not a JSON object"));
  auto translated = providers::anthropic_request_to_openai(parsed->as_object());
  if (!translated) return r.respond_error(translated.error());
  std::string requested_model(translated->at("model").as_string());
  r.outcome.model = pipeline::loggable(requested_model);
  const bool streaming = translated->contains("stream");
  ChatRequest request{std::move(*translated), std::nullopt, r.head.request_id};
  // Kept as it came for anthropic targets (passed through); the translation serves the others.
  auto native = std::make_shared<NativeRequest>();
  native->api = NativeApi::anthropic_messages;
  native->body = std::move(parsed->as_object());
  if (!r.head.anthropic_beta.empty()) native->headers.emplace_back("anthropic-beta", r.head.anthropic_beta);
  request.native = std::move(native);
  return serve(r, std::move(request), streaming, Dialect(std::in_place_type<AnthropicDialect>, std::move(requested_model)));
}

// OpenAI's Responses API inbound: translated to a chat request for the
// router (kept as it came for providers that speak Responses), the answer
// written back as a response object or its events.
asio::awaitable<void> ChatHandler::responses(RequestContext& r) {
  auto parsed = r.json.parse(r.body);
  if (!parsed) return r.respond_error(parsed.error());
  if (!parsed->is_object()) return r.respond_error(make_error(errc::invalid_request, "the request body must be a JSON object"));
  auto translated = providers::responses_request_to_chat(parsed->as_object());
  if (!translated) return r.respond_error(translated.error());
  r.outcome.model = pipeline::loggable(translated->at("model").as_string());
  const bool streaming = translated->contains("stream");
  std::string_view id = r.head.request_id;
  if (id.starts_with("req_")) id.remove_prefix(4);
  auto echo = providers::ResponsesEcho::of(parsed->as_object(), id);
  ChatRequest request{std::move(*translated), std::nullopt, r.head.request_id};
  auto native = std::make_shared<NativeRequest>();
  native->api = NativeApi::openai_responses;
  native->body = std::move(parsed->as_object());
  request.native = std::move(native);
  return serve(r, std::move(request), streaming, Dialect(std::in_place_type<ResponsesDialect>, std::move(echo)));
}

asio::awaitable<void> ChatHandler::count_tokens(RequestContext& r) {
  auto parsed = r.json.parse(r.body);
  if (!parsed) co_return co_await r.respond_error(parsed.error());
  if (!parsed->is_object()) co_return co_await r.respond_error(make_error(errc::invalid_json, "the request body is not a JSON object"));
  auto native = std::make_shared<NativeRequest>();
  native->api = NativeApi::anthropic_messages;
  native->body = std::move(parsed->as_object());
  if (auto* m = native->body.if_contains("model"); m && m->is_string()) r.outcome.model = pipeline::loggable(m->as_string());
  if (!r.head.anthropic_beta.empty()) native->headers.emplace_back("anthropic-beta", r.head.anthropic_beta);
  // A count is a request to the provider on the gateway's key: it takes from the key's request limits.
  const AnthropicDialect dialect{std::string()};
  ChatRequest request{boost::json::object(), std::nullopt, r.head.request_id};
  request.native = std::move(native);
  auto ex = exchange(r, std::move(request), pipeline::Operation::count_tokens, false);
  Detach detach{*ex};
  r.watch.arm();
  auto counted = co_await pipeline_.count_tokens(*ex);
  add_rate_limit_headers(ex->requests, ex->tokens, r.headers);
  const bool gone = r.watch.disarm();
  if (gone) {
    r.outcome.status = static_cast<unsigned>(error::http_status_of(make_error(errc::cancelled, "")));
    r.outcome.close = true;
    co_return;
  }
  if (!counted) co_return co_await r.respond_mapped(dialect.error(counted.error()));
  r.outcome.status = 200;
  co_await r.respond_json(200, *counted);
}

// An embeddings answer may be hundreds of times its request (2,048 inputs of 1,200
// dimensions: 21 KB in, 13 MB out): its predicted size is held against
// max_embeddings_memory_bytes until the body is written or the client leaves.
asio::awaitable<void> ChatHandler::embeddings(RequestContext& r) {
  auto parsed = r.json.parse(r.body);
  if (!parsed) co_return co_await r.respond_error(parsed.error());
  if (!parsed->is_object()) co_return co_await r.respond_error(make_error(errc::invalid_request, "the request body must be a JSON object"));
  co_await embed(r, std::move(parsed->as_object()), Dialect(std::in_place_type<OpenAiDialect>));
}

asio::awaitable<void> ChatHandler::embed(RequestContext& r, boost::json::object body, Dialect dialect) {
  ChatRequest request{std::move(body), std::nullopt, r.head.request_id};
  if (auto* m = request.body.if_contains("model"); m && m->is_string()) r.outcome.model = pipeline::loggable(m->as_string());
  const std::size_t predicted = predicted_embeddings_bytes(request.body);
  if (predicted > embeddings_budget_.limit()) {
    co_return co_await r.respond_error(make_error(errc::invalid_request, "this embeddings answer would take about " +
                                                                            std::to_string(predicted >> 20) + " MiB, more than the gateway allows one (" +
                                                                            std::to_string(embeddings_budget_.limit() >> 20) +
                                                                            " MiB): send fewer inputs or fewer dimensions per request"));
  }
  MemoryBudget::Reservation held(embeddings_budget_);
  if (!held.grow(predicted)) {
    Error e = make_error(errc::overloaded, "embeddings answers in progress hold the gateway's memory for them; retry shortly");
    e.retry_after = "1";
    co_return co_await r.respond_error(e);
  }
  co_await serve(r, std::move(request), false, std::move(dialect), Kind::embeddings);
}

// Google's Gemini API inbound: generateContent (streamed with
// streamGenerateContent) translated to a chat request for the router (kept
// as it came for Gemini and Vertex-Gemini targets), embedContent and
// batchEmbedContents to embeddings, countTokens estimated (~4 characters a token).
asio::awaitable<void> ChatHandler::gemini(RequestContext& r) {
  auto call = providers::parse_gemini_path(r.head.path());
  if (!call) co_return co_await r.respond_error(make_error(errc::not_found, "use /v1beta/models/{model}:{method}"));
  r.outcome.model = pipeline::loggable(call->model);
  auto parsed = r.json.parse(r.body);
  if (!parsed) co_return co_await r.respond_error(parsed.error());
  if (!parsed->is_object()) co_return co_await r.respond_error(make_error(errc::invalid_json, "the request body is not a JSON object"));
  const auto& m = call->method;
  if (m == "embedContent" || m == "batchEmbedContents") {
    const bool batch = m == "batchEmbedContents";
    auto body = providers::gemini_embed_to_openai(parsed->as_object(), call->model, batch);
    if (!body) co_return co_await r.respond_error(body.error());
    co_return co_await embed(r, std::move(*body), Dialect(std::in_place_type<GeminiEmbedDialect>, batch));
  }
  if (m == "countTokens") {
    const auto* c = parsed->as_object().if_contains("contents");
    const std::size_t chars = c ? boost::json::serialize(*c).size() : 0;
    co_return co_await r.respond_json(200, "{\"totalTokens\":" + std::to_string(std::max<std::size_t>(1, chars / 4)) + "}");
  }
  if (m != "generateContent" && m != "streamGenerateContent") {
    co_return co_await r.respond_error(make_error(errc::not_found, "unknown method '" + pipeline::loggable(m) + "'"));
  }
  const bool streaming = m == "streamGenerateContent";
  auto translated = providers::gemini_request_to_openai(parsed->as_object(), call->model, streaming);
  if (!translated) co_return co_await r.respond_error(translated.error());
  ChatRequest request{std::move(*translated), std::nullopt, r.head.request_id};
  auto native = std::make_shared<NativeRequest>();  // as it came, for Gemini and Vertex-Gemini targets
  native->api = NativeApi::gemini_generate;
  native->body = std::move(parsed->as_object());
  request.native = std::move(native);
  co_await serve(r, std::move(request), streaming, Dialect(std::in_place_type<GeminiDialect>, call->model));
}

// x-switchyard-cache (a coalesced request is a hit: it cost nothing) and, on a hit, its age in seconds.
void ChatHandler::cache_headers(RequestContext& r, CacheStatus status, std::int64_t age_ms) {
  if (status == CacheStatus::none) return;
  r.headers.add("x-switchyard-cache", status == CacheStatus::coalesced ? "hit" : to_string(status));
  if (status == CacheStatus::hit) r.headers.add("age", std::to_string(age_ms / 1000));
}

// One exchange, one pipeline call (admit → resolve → cache → route →
// account); then the answer, whole (answer()) or relayed (relay()).
asio::awaitable<void> ChatHandler::serve(RequestContext& r, ChatRequest request, bool streaming, Dialect dialect_storage, Kind kind) {
  ChatDialect& dialect = std::visit([](auto& d) -> ChatDialect& { return d; }, dialect_storage);
  auto ex = exchange(r, std::move(request), kind == Kind::embeddings ? pipeline::Operation::embeddings : pipeline::Operation::chat, streaming);
  ex->hold_slot_to_end = kind == Kind::embeddings;  // the key's slot is held until the body is written
  Detach detach{*ex};
  r.watch.arm();
  if (streaming) co_await relay(r, ex, dialect);
  else co_await answer(r, *ex, dialect);
  if (r.watch.disarm()) {  // the client left: logged as 499, whatever its head said
    r.outcome.status = static_cast<unsigned>(error::http_status_of(make_error(errc::cancelled, "")));
    r.outcome.close = true;
  }
}

asio::awaitable<void> ChatHandler::answer(RequestContext& r, pipeline::Exchange& ex, ChatDialect& dialect) {
  auto answer = co_await pipeline_.answer(ex);
  add_rate_limit_headers(ex.requests, ex.tokens, r.headers);
  if (!answer) co_return co_await r.respond_mapped(dialect.error(answer.error()));
  dialect.set_native(answer->native);
  auto body = dialect.complete(std::move(answer->body));
  if (!body) co_return co_await r.respond_mapped(dialect.error(body.error()));
  cache_headers(r, answer->cache, answer->cache_age_ms);
  const std::string overhead = std::to_string(ex.overhead_us);
  const auto m = r.meta(overhead);
  if (!m.keep_alive) r.outcome.close = true;
  if (!co_await r.send(r.writer.json(200, *body, m))) r.outcome.close = true;
}

// Frames `chunk` and every chunk that arrived with it (poll) into `batch`,
// up to kMaxBatch; how the stream ended, if it did (`why`: a break's reason).
ChatHandler::Ended ChatHandler::frame(RequestContext& r, ChatStream& stream, ChunkSource::Item& chunk, ChatDialect& dialect,
                                      std::string& batch, std::string& why) {
  for (;;) {
    if (!chunk) {
      dialect.broken(chunk.error(), batch);
      append(batch, ResponseWriter::last_chunk());
      why = chunk.error().message;
      return Ended::broken;
    }
    if (!*chunk) {
      dialect.end(batch);
      append(batch, ResponseWriter::last_chunk());
      return Ended::clean;
    }
    dialect.chunk(**chunk, batch);
    ++stream_chunks_;
    if (const Error* failed = dialect.failure()) {
      append(batch, ResponseWriter::last_chunk());
      why = "provider '" + r.outcome.provider + "': " + failed->message;
      return Ended::broken;
    }
    if (batch.size() >= kMaxBatch) return Ended::no;
    auto more = stream.poll();
    if (!more) return Ended::no;
    chunk = std::move(*more);
  }
}

// Relays a stream. Chunks that arrived together (one upstream read) leave
// together: they are framed into one batch and written with one send, never
// held back waiting for more. A batch is bounded (kMaxBatch): past it, it is
// written before more is read, and a client that does not drain it makes the
// send wait (within the write timeout) while the upstream read waits too, so
// TCP back-pressure reaches the provider and the gateway holds no more than
// that per stream. Once the head went out, a break ends the stream with the
// dialect's error event and no clean end, so the client cannot mistake a cut
// for an answer; a client that stops reading (write timeout) or leaves is
// logged as 499.
asio::awaitable<void> ChatHandler::relay(RequestContext& r, std::shared_ptr<pipeline::Exchange> ex, ChatDialect& dialect) {
  auto opened = co_await pipeline_.stream(ex);
  add_rate_limit_headers(ex->requests, ex->tokens, r.headers);
  if (!opened) co_return co_await r.respond_mapped(dialect.error(opened.error()));
  ChatStream& stream = *opened;
  dialect.set_native(stream.native());
  cache_headers(r, stream.cache(), stream.cache_age_ms());
  const std::string overhead = std::to_string(ex->overhead_us);
  const auto m = r.meta(overhead);  // views `overhead`: keep it alive while m is used
  if (!m.keep_alive) r.outcome.close = true;
  std::string& batch = r.writer.batch();
  batch.clear();
  append(batch, r.writer.stream_head(m));
  std::string why;
  auto chunk = co_await stream.next();
  for (;;) {
    if (!chunk && chunk.error().code == errc::cancelled && r.server_stopping && *r.server_stopping) {
      // Cut by the shutdown, not by the provider: the error event says so.
      chunk = make_error(errc::shutting_down, "the gateway is shutting down and its grace period (shutdown_grace_ms) ended before this stream did");
    }
    const Ended ended = frame(r, stream, chunk, dialect, batch, why);
    ++stream_writes_;
    const bool sent = co_await r.send(asio::buffer(batch));
    batch.clear();
    if (!sent) {
      r.outcome.close = true;
      r.outcome.status = error::http_status_of(make_error(errc::cancelled, ""));
      r.outcome.note = "client_write_failed";
      co_return;
    }
    if (ended == Ended::clean) co_return;
    if (ended == Ended::broken) {
      r.outcome.close = true;
      r.outcome.note = "stream_broken";
      log_.record(observability::LogLevel::warn, "stream broken",
                  {observability::LogField{"request_id", std::string_view(r.head.request_id)}, observability::LogField{"error", std::string_view(why)}});
      co_return;
    }
    // Wait in one coroutine (fill) and take with poll; next() for what poll cannot tell.
    std::optional<ChunkSource::Item> more = stream.poll();
    if (!more) {
      co_await stream.fill();
      more = stream.poll();
    }
    if (more) {
      chunk = std::move(*more);
    } else {
      chunk = co_await stream.next();
    }
  }
}

}  // namespace switchyard::server
