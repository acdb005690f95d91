#include "providers/openai_client.hpp"

#include "providers/embeddings.hpp"
#include "providers/responses_translator.hpp"
#include "providers/translated_chunk_stream.hpp"

#include <boost/json/serializer.hpp>

#include "providers/openai_usage.hpp"
#include "providers/upstream_error.hpp"
#include "upstream/sse_event_reader.hpp"

namespace switchyard::providers {

namespace asio = boost::asio;

namespace {

// Relays an OpenAI SSE stream as chunk JSON texts. Ends cleanly only on
// `data: [DONE]`; a body that ends without it is a cut stream. The upstream
// is always asked for usage; the usage-only chunk is read, and passed on only
// when the client asked for it too.
class OpenAiChunkStream final : public ChunkSource {
 public:
  OpenAiChunkStream(std::unique_ptr<upstream::UpstreamExchange> exchange, const ProviderConfig& config, bool client_wants_usage)
      : reader_(std::move(exchange), config.name), config_(config), client_wants_usage_(client_wants_usage) {}

  asio::awaitable<Item> next() override {
    for (;;) {
      if (auto ready = poll()) co_return std::move(*ready);
      auto ev = co_await reader_.next();
      if (auto item = on_event(std::move(ev))) co_return std::move(*item);
    }
  }

  asio::awaitable<void> fill() override { return reader_.fill(); }

  std::optional<Item> poll() override {
    for (;;) {
      if (finished_) return Item(std::optional<std::string_view>{});
      auto ev = reader_.poll();
      if (!ev) return std::nullopt;
      if (auto item = on_event(std::move(*ev))) return item;
    }
  }

  Usage usage() const noexcept override { return usage_; }

 private:
  // What an event means for the client: a chunk, the end, an error; nullopt
  // when it is not passed on (the usage-only chunk nobody asked for).
  std::optional<Item> on_event(upstream::SseEventReader::Item ev) {
    if (!ev || !*ev) finished_ = true;
    if (!ev) return Item(ev.error());
    if (!*ev) return Item(make_error(errc::upstream_reset, "ended the stream before [DONE]", config_.name));
    const std::string_view data = (*ev)->data;
    if (data == "[DONE]") {
      finished_ = true;
      reader_.finish();
      return Item(std::optional<std::string_view>{});
    }
    if (auto err = error_in_stream(data, config_.name, config_.api_key)) {
      finished_ = true;
      return Item(*err);
    }
    if (auto u = find_openai_usage(data)) {
      usage_ = *u;
      // Some providers put usage on the last content chunk: that one is passed on as it is.
      if (!client_wants_usage_ && data.find("\"choices\":[]") != std::string_view::npos) return std::nullopt;
    } else if (!usage_.reported) {
      ++usage_.completion_tokens;  // about a token per chunk until the report comes
    }
    return Item(std::optional<std::string_view>{data});
  }

  upstream::SseEventReader reader_;
  const ProviderConfig& config_;
  bool client_wants_usage_;
  bool finished_ = false;
  Usage usage_;
};

}  // namespace


namespace {

HttpProvider::Headers auth_headers(const ProviderConfig& config) {
  if (config.type == ProviderType::azure) {
    if (!config.ad_token.empty()) return {{"Authorization", "Bearer " + config.ad_token}};
    return config.api_key.empty() ? HttpProvider::Headers{} : HttpProvider::Headers{{"api-key", config.api_key}};
  }
  return config.api_key.empty() ? HttpProvider::Headers{} : HttpProvider::Headers{{"Authorization", "Bearer " + config.api_key}};
}

std::string probe_path(const ProviderConfig& config) {
  if (config.type != ProviderType::azure) return "/models";
  return config.api_version == "v1" ? "/openai/v1/models" : "/openai/models?api-version=" + config.api_version;
}

bool path_safe(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

}  // namespace

result<std::string> OpenAiClient::path_for(const ProviderConfig& config, std::string_view operation, std::string_view model) {
  if (config.type != ProviderType::azure) return "/" + std::string(operation);
  if (config.api_version == "v1") return "/openai/v1/" + std::string(operation);
  const std::string version = "?api-version=" + config.api_version;
  if (operation == "responses") return "/openai/responses" + version;  // not deployment-scoped: the model is in the body
  if (model.empty()) return make_error(errc::invalid_request, "empty Azure deployment name");
  for (char c : model) {
    if (!path_safe(c)) return make_error(errc::invalid_request, "Azure deployment names use letters, digits, '-', '.' and '_' only");
  }
  return "/openai/deployments/" + std::string(model) + "/" + std::string(operation) + version;
}

OpenAiClient::OpenAiClient(const asio::any_io_executor& ex, const ProviderConfig& config)
    : HttpProvider(ex, config, config.type == ProviderType::azure ? "" : "/chat/completions", auth_headers(config), probe_path(config)) {}

asio::awaitable<result<ChatResponse>> OpenAiClient::chat_completion(ChatCall call) {
  if (call.native) {  // a Responses request, as it came: the answer goes back as it comes
    auto path = path_for(config_, "responses", call.model);
    if (!path) co_return path.error();
    const std::string body_text = body_with_model(call.native->body, call.model);
    const auto started_at = std::chrono::steady_clock::now();
    auto body = co_await post(*path, body_text, call);
    if (!body) co_return body.error();
    const Usage usage = responses_body_usage(*body);
    ChatResponse r{std::move(*body), config_.name, std::string(call.model), std::chrono::steady_clock::now() - started_at, usage};
    r.native = true;
    co_return r;
  }
  const std::string body_text = openai_upstream_body(call.body, call.model, false);
  std::string path;  // empty: the fixed /chat/completions head
  if (config_.type == ProviderType::azure) {
    auto p = path_for(config_, "chat/completions", call.model);
    if (!p) co_return p.error();
    path = std::move(*p);
  }
  const auto started_at = std::chrono::steady_clock::now();
  auto body = co_await post(path, body_text, call);
  if (!body) co_return body.error();
  const Usage usage = find_openai_usage(*body).value_or(Usage{});
  co_return ChatResponse{std::move(*body), config_.name, std::string(call.model),
                         std::chrono::steady_clock::now() - started_at, usage};
}

asio::awaitable<result<std::unique_ptr<ChunkSource>>> OpenAiClient::chat_completion_stream(ChatCall call) {
  if (call.native) {
    auto path = path_for(config_, "responses", call.model);
    if (!path) co_return path.error();
    const std::string body_text = body_with_model(call.native->body, call.model);
    auto ex = co_await post_stream(*path, body_text, call);
    if (!ex) co_return ex.error();
    co_return std::make_unique<TranslatedChunkStream<ResponsesPassthrough>>(std::move(*ex), config_.name, ResponsesPassthrough());
  }
  const bool client_wants_usage = wants_usage(call.body);
  const std::string body_text = openai_upstream_body(call.body, call.model, true);
  std::string path;
  if (config_.type == ProviderType::azure) {
    auto p = path_for(config_, "chat/completions", call.model);
    if (!p) co_return p.error();
    path = std::move(*p);
  }
  auto exchange = co_await post_stream(path, body_text, call);
  if (!exchange) co_return exchange.error();
  co_return std::make_unique<OpenAiChunkStream>(std::move(*exchange), config_, client_wants_usage);
}

asio::awaitable<result<ChatResponse>> OpenAiClient::embeddings(ChatCall call) {
  const std::string body_text = openai_upstream_body(call.body, call.model, false);
  auto path = path_for(config_, "embeddings", call.model);
  if (!path) co_return path.error();
  const auto started_at = std::chrono::steady_clock::now();
  auto body = co_await post(*path, body_text, call);
  if (!body) co_return body.error();
  const Usage usage = find_openai_usage(*body).value_or(Usage{});
  auto answer = embeddings_for_client(std::move(*body), wants_base64(call.body), config_.name);
  if (!answer) co_return answer.error();
  co_return ChatResponse{std::move(*answer), config_.name, std::string(call.model), std::chrono::steady_clock::now() - started_at, usage};
}

}  // namespace switchyard::providers
