#include "providers/vertex_client.hpp"

#include <boost/json.hpp>

#include <fstream>
#include <sstream>

#include "providers/anthropic_passthrough.hpp"
#include "providers/anthropic_translator.hpp"
#include "providers/embeddings.hpp"
#include "providers/event_passthrough.hpp"
#include "providers/gemini_translator.hpp"
#include "providers/openai_usage.hpp"
#include "providers/translated_chunk_stream.hpp"
#include "upstream/connection_pool.hpp"

namespace switchyard::providers {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {
constexpr std::string_view kVertexAnthropicVersion = "vertex-2023-10-16";

bool segment_safe(std::string_view model) {
  if (model.empty() || model.size() > 256) return false;
  for (char c : model) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '@';
    if (!ok) return false;
  }
  return true;
}

ServiceAccount load_account(const ProviderConfig& c) {
  std::ifstream in(c.credentials_file);
  if (!in) throw std::invalid_argument("provider '" + c.name + "': cannot read credentials_file " + c.credentials_file);
  std::ostringstream text;
  text << in.rdbuf();
  auto account = read_service_account(text.str());
  if (!account) throw std::invalid_argument("provider '" + c.name + "': " + c.credentials_file + ": " + account.error().message);
  return std::move(*account);
}

// An Anthropic body for Vertex: model out, anthropic_version in (stream kept: streamRawPredict wants it).
std::string anthropic_for_vertex(const json::object& body, bool stream) {
  json::object out;
  out.reserve(body.size() + 2);
  if (!body.contains("anthropic_version")) out["anthropic_version"] = kVertexAnthropicVersion;
  for (const auto& [k, v] : body) {
    if (k != "model" && k != "stream") out[k] = v;
  }
  if (stream) out["stream"] = true;
  return json::serialize(out);
}
}  // namespace

bool vertex_anthropic_model(std::string_view model) noexcept { return model.substr(0, 6) == "claude"; }

VertexClient::VertexClient(const asio::any_io_executor& ex, const ProviderConfig& config, VertexTokenSource::Clock clock)
    : HttpProvider(ex, config, "", {}) {
  authorizes_ = true;  // the bearer token of the moment
  if (!config.access_token.empty()) bearer_ = config.access_token;
  else tokens_ = std::make_unique<VertexTokenSource>(ex, config, load_account(config), std::move(clock));
}

VertexClient::~VertexClient() = default;

void VertexClient::shutdown() noexcept {
  if (tokens_) tokens_->shutdown();
  HttpProvider::shutdown();
}

void VertexClient::authorize(std::string_view, std::string_view, std::string& head) const {
  head += "Authorization: Bearer ";
  head += bearer_;
  head += "\r\n";
}

asio::awaitable<result<void>> VertexClient::ready() {
  if (!tokens_) co_return result<void>();
  auto t = co_await tokens_->token();
  if (!t) co_return t.error();
  bearer_ = std::move(*t);
  co_return result<void>();
}

std::string VertexClient::model_path(std::string_view publisher, std::string_view model, std::string_view method) const {
  std::string p = "/v1/projects/" + config_.project + "/locations/" + config_.location + "/publishers/";
  p += publisher;
  p += "/models/";
  p += model;
  p += ':';
  p += method;
  return p;
}

asio::awaitable<result<ChatResponse>> VertexClient::chat_completion(ChatCall call) {
  if (!segment_safe(call.model)) co_return make_error(errc::invalid_request, "a Vertex model id uses letters, digits, '-', '.', '_' and '@' only");
  if (auto r = co_await ready(); !r) co_return r.error();
  const auto started_at = std::chrono::steady_clock::now();
  Usage usage;
  if (vertex_anthropic_model(call.model)) {
    const std::string path = model_path("anthropic", call.model, "rawPredict");
    if (call.native) {
      auto body = co_await post(path, anthropic_for_vertex(call.native->body, false), call);
      if (!body) co_return body.error();
      usage = anthropic_message_usage(*body);
      ChatResponse r{std::move(*body), config_.name, std::string(call.model), std::chrono::steady_clock::now() - started_at, usage};
      r.native = true;
      co_return r;
    }
    auto translated = openai_to_anthropic_request(call.body, call.model);
    if (!translated) co_return translated.error();
    auto body = co_await post(path, anthropic_for_vertex(*translated, false), call);
    if (!body) co_return body.error();
    auto openai = anthropic_to_openai_response(*body, call.model, usage);
    if (!openai) co_return with_provider(openai.error(), config_.name);
    co_return ChatResponse{std::move(*openai), config_.name, std::string(call.model), std::chrono::steady_clock::now() - started_at, usage};
  }
  if (call.native) {  // a Gemini client's own request: sent as it came (Vertex takes the same body)
    auto body = co_await post(model_path("google", call.model, "generateContent"), json::serialize(call.native->body), call);
    if (!body) co_return body.error();
    usage = gemini_response_usage(*body);
    ChatResponse r{std::move(*body), config_.name, std::string(call.model), std::chrono::steady_clock::now() - started_at, usage};
    r.native = true;
    co_return r;
  }
  auto translated = openai_to_gemini_request(call.body);
  if (!translated) co_return translated.error();
  auto body = co_await post(model_path("google", call.model, "generateContent"), json::serialize(*translated), call);
  if (!body) co_return body.error();
  auto openai = gemini_to_openai_response(*body, call.model, usage);
  if (!openai) co_return with_provider(openai.error(), config_.name);
  co_return ChatResponse{std::move(*openai), config_.name, std::string(call.model), std::chrono::steady_clock::now() - started_at, usage};
}

asio::awaitable<result<std::unique_ptr<ChunkSource>>> VertexClient::chat_completion_stream(ChatCall call) {
  if (!segment_safe(call.model)) co_return make_error(errc::invalid_request, "a Vertex model id uses letters, digits, '-', '.', '_' and '@' only");
  if (auto r = co_await ready(); !r) co_return r.error();
  if (vertex_anthropic_model(call.model)) {
    const std::string path = model_path("anthropic", call.model, "streamRawPredict");
    if (call.native) {
      auto ex = co_await post_stream(path, anthropic_for_vertex(call.native->body, true), call);
      if (!ex) co_return ex.error();
      co_return std::make_unique<TranslatedChunkStream<AnthropicPassthrough>>(std::move(*ex), config_.name, AnthropicPassthrough());
    }
    auto translated = openai_to_anthropic_request(call.body, call.model);
    if (!translated) co_return translated.error();
    auto ex = co_await post_stream(path, anthropic_for_vertex(*translated, true), call);
    if (!ex) co_return ex.error();
    co_return std::make_unique<TranslatedChunkStream<AnthropicStreamTranslator>>(
        std::move(*ex), config_.name, AnthropicStreamTranslator(std::string(call.model), wants_usage(call.body)));
  }
  if (call.native) {
    auto ex = co_await post_stream(model_path("google", call.model, "streamGenerateContent?alt=sse"), json::serialize(call.native->body), call);
    if (!ex) co_return ex.error();
    co_return std::make_unique<TranslatedChunkStream<EventPassthrough<GeminiEvents>>>(std::move(*ex), config_.name, EventPassthrough<GeminiEvents>());
  }
  auto translated = openai_to_gemini_request(call.body);
  if (!translated) co_return translated.error();
  auto ex = co_await post_stream(model_path("google", call.model, "streamGenerateContent?alt=sse"), json::serialize(*translated), call);
  if (!ex) co_return ex.error();
  co_return std::make_unique<TranslatedChunkStream<GeminiStreamTranslator>>(
      std::move(*ex), config_.name, GeminiStreamTranslator(std::string(call.model), wants_usage(call.body)));
}

asio::awaitable<result<ChatResponse>> VertexClient::embeddings(ChatCall call) {
  if (!segment_safe(call.model)) co_return make_error(errc::invalid_request, "a Vertex model id uses letters, digits, '-', '.', '_' and '@' only");
  auto inputs = read_embedding_request(call.body);
  if (!inputs) co_return inputs.error();
  if (inputs->token_arrays > 0) co_return make_error(errc::invalid_request, "Vertex embeddings take text inputs, not token arrays");
  if (auto r = co_await ready(); !r) co_return r.error();
  json::array instances;
  for (auto t : inputs->texts) instances.push_back(json::object{{"content", t}});
  json::object req{{"instances", std::move(instances)}};
  if (const auto* d = call.body.if_contains("dimensions"); d && d->is_int64()) req["parameters"] = json::object{{"outputDimensionality", *d}};
  const auto started_at = std::chrono::steady_clock::now();
  auto body = co_await post(model_path("google", call.model, "predict"), json::serialize(req), call);
  if (!body) co_return body.error();
  boost::system::error_code ec;
  auto v = json::parse(*body, ec);
  const auto* preds = !ec && v.is_object() ? v.as_object().if_contains("predictions") : nullptr;
  if (!preds || !preds->is_array() || preds->as_array().size() != inputs->texts.size()) {
    co_return make_error(errc::upstream_bad_response, "sent a predict answer without one prediction per input", config_.name);
  }
  std::vector<const json::array*> vectors;
  std::int64_t tokens = 0;
  bool counted = true;
  for (const auto& p : preds->as_array()) {
    const auto* e = p.is_object() ? p.as_object().if_contains("embeddings") : nullptr;
    const auto* values = e && e->is_object() ? e->as_object().if_contains("values") : nullptr;
    if (!values || !values->is_array()) co_return make_error(errc::upstream_bad_response, "sent a prediction without embeddings.values", config_.name);
    vectors.push_back(&values->as_array());
    const auto* stats = e->as_object().if_contains("statistics");
    const auto* n = stats && stats->is_object() ? stats->as_object().if_contains("token_count") : nullptr;
    if (n && n->is_number()) tokens += static_cast<std::int64_t>(n->to_number<double>());
    else counted = false;
  }
  if (!counted) tokens = inputs->estimated_tokens;
  auto answer = openai_embeddings_list(vectors, call.model, wants_base64(call.body), tokens);
  if (!answer) co_return with_provider(answer.error(), config_.name);
  Usage usage;
  usage.prompt_tokens = tokens;
  usage.reported = counted;
  co_return ChatResponse{std::move(*answer), config_.name, std::string(call.model), std::chrono::steady_clock::now() - started_at, usage};
}

asio::awaitable<result<void>> VertexClient::probe() {
  if (auto r = co_await ready(); !r) co_return r.error();  // a token proves the credentials; then the host
  auto held = co_await pool().acquire();
  if (!held) co_return held.error();
  held->set_reusable(true);
  co_return result<void>();
}

}  // namespace switchyard::providers
