#include "pipeline/chat_pipeline.hpp"

#include "pipeline/end_user.hpp"
#include "auth/jwt_verifier.hpp"

#include <boost/json/serialize.hpp>

#include "pipeline/resolve_stage.hpp"
#include "routing/attempt_span.hpp"

namespace switchyard::pipeline {

namespace asio = boost::asio;

namespace {
constexpr std::size_t kMaxCapturedBytes = 64 * 1024;  // capture_content: at most this much of a prompt or an answer

// At most `limit` bytes of `text`, never cutting a UTF-8 sequence (a collector refuses invalid UTF-8).
std::size_t utf8_prefix(std::string_view text, std::size_t limit) {
  if (text.size() <= limit) return text.size();
  while (limit > 0 && (static_cast<unsigned char>(text[limit]) & 0xC0) == 0x80) --limit;
  return limit;
}

std::string capped(std::string text) {
  text.resize(utf8_prefix(text, kMaxCapturedBytes));
  return text;
}

// capture_content: the prompt as the client sent it (messages, a Gemini request's contents, a Responses input).
void capture_prompt(telemetry::RequestTrace& trace, const Exchange& ex) {
  const auto& body = ex.request.native ? ex.request.native->body : ex.request.body;
  for (const char* k : {"messages", "contents", "input"}) {
    if (const auto* v = body.if_contains(k)) {
      trace.event("gen_ai.content.prompt", {{"gen_ai.input.messages", capped(boost::json::serialize(*v))}});
      return;
    }
  }
}

// A stream accounted when it ends (its last byte, a break, or the client
// dropping it): the exchange's ticket finished with the tokens it used and
// their cost, its ledger row written. Holds the exchange (and with it the
// configuration the stream runs under) until the stream is gone.
class AccountedChunkSource final : public ChunkSource {
 public:
  AccountedChunkSource(std::shared_ptr<Exchange> ex, AccountStage& account, ChatStream inner)
      : ex_(std::move(ex)), account_(account), inner_(std::move(inner)) {}
  ~AccountedChunkSource() override {
    const Error dropped = make_error(errc::cancelled, "the client left");
    end(&dropped);
  }
  asio::awaitable<Item> next() override {
    if (auto ready = poll()) co_return std::move(*ready);
    auto r = co_await inner_.next();
    co_return after(std::move(r));
  }
  asio::awaitable<void> fill() override { return inner_.fill(); }
  std::optional<Item> poll() override {
    auto r = inner_.poll();
    if (!r) return std::nullopt;
    return after(std::move(*r));
  }
  Usage usage() const noexcept override { return inner_.usage(); }
  double cost_usd() const noexcept override { return inner_.cost_usd(); }

 private:
  Item after(Item r) {
    if (r && *r && ex_->trace) observe(**r);
    if (!r) {
      const Error e = r.error();
      end(&e);
    } else if (!*r) {
      end(nullptr);  // the end: counted before the client sees it
    }
    return r;
  }
  // A traced stream: its finish reasons, and (capture_content) its chunks as they went out.
  void observe(std::string_view chunk) {
    routing::collect_finish_reasons(chunk, ex_->trace->finish_reasons());
    if (ex_->trace->capture_content() && captured_.size() < kMaxCapturedBytes) {
      captured_.append(chunk.substr(0, utf8_prefix(chunk, kMaxCapturedBytes - captured_.size())));
      captured_ += '\n';
    }
  }
  void end(const Error* e) {
    if (ex_->accounted) return;
    if (ex_->trace && !captured_.empty()) ex_->trace->event("gen_ai.content.completion", {{"gen_ai.output.messages", std::move(captured_)}});
    ex_->record.used = inner_.usage();
    ex_->record.cost_usd = inner_.cost_usd();
    if (e) account_.fail(*ex_, *e, true);
    else account_.finish(*ex_);
  }
  std::shared_ptr<Exchange> ex_;  // declared first: released after the stream (which uses its router and targets)
  AccountStage& account_;
  ChatStream inner_;
  std::string captured_;
};
}  // namespace

result<Identity> ChatPipeline::identify(std::string_view authorization, const Generation& gen) const {
  auto key = gen.keys.authenticate(authorization);
  if (key) return Identity{*key};
  if (!jwt_) return key.error();
  std::string_view token = authorization;
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  if (token.size() > 7 && (token.starts_with("Bearer ") || token.starts_with("bearer "))) token.remove_prefix(7);
  if (!auth::looks_like_jwt(token)) return key.error();
  return jwt_->identify(token, gen.keys);
}

result<Identity> ChatPipeline::authenticate(std::string_view authorization) const { return identify(authorization, *current_); }

// The SERVER span starts when the request had been read (ex.started), on the wall clock.
void ChatPipeline::start_trace(Exchange& ex) const {
  const auto since = std::chrono::duration_cast<std::chrono::nanoseconds>(account_.now() - ex.started).count();
  std::string name;
  if (!ex.entry_method.empty()) {
    name.reserve(ex.entry_method.size() + 1 + ex.entry_path.size());
    name.append(ex.entry_method).append(" ").append(ex.entry_path);
  }
  if (name.empty()) name = ex.op == Operation::embeddings ? "switchyard.embeddings" : ex.op == Operation::count_tokens ? "switchyard.count_tokens" : "switchyard.chat";
  ex.trace = tracer_->start(ex.traceparent, ex.tracestate, std::move(name), telemetry::wall_now_ns() - since);
}

asio::awaitable<std::optional<Error>> ChatPipeline::begin(Exchange& ex) {
  if (tracer_ && tracer_->enabled() && !ex.trace) start_trace(ex);
  if (!ex.gen) ex.gen = ex.key ? Generation::of(*ex.key).shared_from_this() : current_;
  if (!ex.key && ex.request.api_key) {  // an embedder's key (or JWT)
    auto id = identify(*ex.request.api_key, *ex.gen);
    if (!id) {
      account_.fail(ex, id.error());
      co_return id.error();
    }
    ex.key = id->key;
    if (!id->user.empty()) ex.user = std::move(id->user);
  }
  if (auto failed = resolve(ex)) {  // before admission: a request that cannot go anywhere takes nothing from the key
    account_.fail(ex, *failed);
    co_return failed;
  }
  ex.plan.trace = ex.trace.get();
  ex.plan.failovers = &ex.record.failovers;
  if (!ex.trace) ex.plan.traceparent = ex.traceparent;  // not sampled here: the client's context goes on as it came
  else if (ex.trace->capture_content()) capture_prompt(*ex.trace, ex);
  const auto& body = ex.op == Operation::count_tokens ? ex.request.native->body : ex.request.body;
  if (ex.user.empty()) {
    auto user = end_user_of(ex.request.user, body);
    if (!user) {
      account_.fail(ex, user.error());
      co_return user.error();
    }
    ex.user = std::move(*user);
  }
  if (auto refused = co_await admit_.admit(ex, ex.gen->governor, body)) {
    account_.refused(ex, *refused);
    co_return refused;
  }
  co_return std::nullopt;
}

asio::awaitable<result<ChatResponse>> ChatPipeline::answer(Exchange& ex) {
  if (auto ended = co_await begin(ex)) co_return std::move(*ended);
  if (cache_.plan(ex)) co_return co_await cache_.answer(ex);
  auto& router = ex.gen->router;
  auto routed = ex.op == Operation::embeddings ? router.embeddings(ex.plan, ex.request) : router.chat(ex.plan, ex.request);
  auto answer = co_await std::move(routed);
  if (!answer) {
    AccountStage::bill(ex.record, answer.error());
    account_.fail(ex, answer.error());
    co_return answer;
  }
  answer->cache = ex.cache.status;
  if (ex.trace && ex.trace->capture_content()) ex.trace->event("gen_ai.content.completion", {{"gen_ai.output.messages", capped(answer->body)}});
  account_.ready(ex, answer->provider, answer->model, answer->upstream_time, ex.cache.status);
  ex.record.used = answer->usage;
  ex.record.cost_usd = answer->cost_usd;
  account_.finish(ex);
  co_return answer;
}

asio::awaitable<result<ChatStream>> ChatPipeline::stream(std::shared_ptr<Exchange> ex) {
  if (auto ended = co_await begin(*ex)) co_return std::move(*ended);
  if (cache_.plan(*ex)) co_return co_await cache_.stream(ex);
  auto stream = co_await ex->gen->router.chat_stream(ex->plan, ex->request);
  if (!stream) {
    account_.fail(*ex, stream.error());
    co_return stream;
  }
  account_.ready(*ex, stream->provider(), stream->model(), stream->upstream_time(), ex->cache.status);
  std::string provider = stream->provider(), model = stream->model();
  const auto upstream_time = stream->upstream_time();
  const bool native = stream->native();
  ChatStream accounted(std::make_unique<AccountedChunkSource>(ex, account_, std::move(*stream)), std::move(provider), std::move(model),
                       upstream_time);
  accounted.set_native(native);
  accounted.set_cache(ex->cache.status);
  co_return accounted;
}

// A count is a request against the key's limits: it gets a ledger row like any other (no tokens, no cost).
asio::awaitable<result<std::string>> ChatPipeline::count_tokens(Exchange& ex) {
  if (!ex.request.native || ex.request.native->api != NativeApi::anthropic_messages) {
    Error e = make_error(errc::invalid_request, "count_tokens takes an Anthropic Messages request");
    account_.fail(ex, e);
    co_return e;
  }
  if (auto ended = co_await begin(ex)) co_return std::move(*ended);
  auto counted = co_await count(ex);
  if (counted) account_.finish(ex);
  else account_.fail(ex, counted.error());
  co_return counted;
}

asio::awaitable<result<std::string>> ChatPipeline::count(Exchange& ex) {
  const Generation& g = *ex.gen;
  for (const auto& t : ex.plan.targets()) {
    if (g.config.providers[t.provider].type != ProviderType::anthropic) continue;
    ex.record.provider = g.config.providers[t.provider].name;
    co_return co_await g.clients[t.provider]->count_tokens(
        providers::ChatCall{ex.request.body, t.model, ex.request.request_id, Millis(0), ex.request.native.get()});
  }
  // No Anthropic target: an estimate from the text (system, messages, tools), ~4 characters a token.
  std::size_t chars = 0;
  const auto& b = ex.request.native->body;
  for (const char* k : {"system", "messages", "tools"}) {
    if (const auto* v = b.if_contains(k)) chars += boost::json::serialize(*v).size();
  }
  co_return "{\"input_tokens\":" + std::to_string(std::max<std::size_t>(1, chars / 4)) + "}";
}

}  // namespace switchyard::pipeline
