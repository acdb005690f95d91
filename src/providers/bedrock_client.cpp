#include "providers/bedrock_client.hpp"

#include <boost/json.hpp>

#include <ctime>

#include "providers/bedrock_invoke.hpp"
#include "providers/converse_translator.hpp"
#include "providers/embeddings.hpp"
#include "providers/event_stream_reader.hpp"
#include "providers/openai_usage.hpp"
#include "providers/translated_chunk_stream.hpp"

namespace switchyard::providers {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {
constexpr std::string_view kEventStream = "application/vnd.amazon.eventstream";

HttpProvider::Headers auth_headers(const ProviderConfig& c) {
  if (!c.api_key.empty()) return {{"Authorization", "Bearer " + c.api_key}};  // a Bedrock API key: no signing
  return {};
}

// The call without the client's own headers: Bedrock takes anthropic-beta in the body.
ChatCall plain(const ChatCall& call) {
  ChatCall c = call;
  c.native = nullptr;
  return c;
}
}  // namespace

result<std::string> bedrock_path(std::string_view model, std::string_view operation) {
  if (model.empty() || model.size() > 2048) return make_error(errc::invalid_request, "a Bedrock model id has 1 to 2048 characters");
  std::string path = "/model/";
  path += aws_uri_encode(model, false);
  path += '/';
  path += operation;
  return path;
}

BedrockClient::BedrockClient(const asio::any_io_executor& ex, const ProviderConfig& config, Clock clock)
    : HttpProvider(ex, config, "", auth_headers(config)),
      credentials_{config.access_key_id, config.secret_access_key, config.session_token},
      clock_(clock ? std::move(clock) : Clock([] { return static_cast<std::int64_t>(std::time(nullptr)); })) {
  authorizes_ = config.api_key.empty();  // SigV4 per request; a Bedrock API key is a fixed header
}

void BedrockClient::authorize(std::string_view wire_path, std::string_view body, std::string& head) const {
  if (!config_.api_key.empty()) return;
  std::string_view path = wire_path, query;
  if (const auto q = wire_path.find('?'); q != std::string_view::npos) {
    path = wire_path.substr(0, q);
    query = wire_path.substr(q + 1);
  }
  const auto sig = sign_v4(SigV4Request{"POST", endpoint_.host_header, path, query, {{"content-type", "application/json"}}, body},
                           credentials_, config_.region, "bedrock", clock_());
  for (const auto& [k, v] : sig.headers) {
    head += k;
    head += ": ";
    head += v;
    head += "\r\n";
  }
}

asio::awaitable<result<ChatResponse>> BedrockClient::chat_completion(ChatCall call) {
  const auto started_at = std::chrono::steady_clock::now();
  if (call.native) {  // a Messages request to an Anthropic model: InvokeModel, answered as Anthropic answers
    auto path = bedrock_path(call.model, "invoke");
    if (!path) co_return path.error();
    const std::string body_text = bedrock_invoke_body(*call.native);
    auto body = co_await post(*path, body_text, plain(call));
    if (!body) co_return body.error();
    const Usage usage = anthropic_message_usage(*body);
    ChatResponse r{std::move(*body), config_.name, std::string(call.model), std::chrono::steady_clock::now() - started_at, usage};
    r.native = true;
    co_return r;
  }
  auto path = bedrock_path(call.model, "converse");
  if (!path) co_return path.error();
  auto translated = openai_to_converse_request(call.body, call.model);
  if (!translated) co_return translated.error();
  const std::string body_text = json::serialize(*translated);
  auto body = co_await post(*path, body_text, call);
  if (!body) co_return body.error();
  Usage usage;
  auto openai = converse_to_openai_response(*body, call.model, usage);
  if (!openai) co_return with_provider(openai.error(), config_.name);
  co_return ChatResponse{std::move(*openai), config_.name, std::string(call.model), std::chrono::steady_clock::now() - started_at, usage};
}

asio::awaitable<result<std::unique_ptr<ChunkSource>>> BedrockClient::chat_completion_stream(ChatCall call) {
  if (call.native) {
    auto path = bedrock_path(call.model, "invoke-with-response-stream");
    if (!path) co_return path.error();
    const std::string body_text = bedrock_invoke_body(*call.native);
    auto ex = co_await post_stream(*path, body_text, plain(call), kEventStream);
    if (!ex) co_return ex.error();
    co_return std::make_unique<TranslatedChunkStream<BedrockChunkPassthrough, EventStreamReader>>(std::move(*ex), config_.name,
                                                                                                  BedrockChunkPassthrough());
  }
  auto path = bedrock_path(call.model, "converse-stream");
  if (!path) co_return path.error();
  auto translated = openai_to_converse_request(call.body, call.model);
  if (!translated) co_return translated.error();
  const std::string body_text = json::serialize(*translated);
  auto ex = co_await post_stream(*path, body_text, call, kEventStream);
  if (!ex) co_return ex.error();
  co_return std::make_unique<TranslatedChunkStream<ConverseStreamTranslator, EventStreamReader>>(
      std::move(*ex), config_.name, ConverseStreamTranslator(std::string(call.model), wants_usage(call.body)));
}

asio::awaitable<result<ChatResponse>> BedrockClient::embeddings(ChatCall call) {
  auto inputs = read_embedding_request(call.body);
  if (!inputs) co_return inputs.error();
  if (inputs->token_arrays > 0) co_return make_error(errc::invalid_request, "Bedrock embeddings take text inputs, not token arrays");
  auto path = bedrock_path(call.model, "invoke");
  if (!path) co_return path.error();
  const auto started_at = std::chrono::steady_clock::now();
  const std::string_view model = call.model;
  std::vector<json::value> answers;  // kept alive: `vectors` points into them
  std::vector<const json::array*> vectors;
  std::int64_t tokens = 0;
  bool counted = false;
  if (model.find("cohere.embed") != std::string_view::npos) {  // one call: {"texts": [...]}
    if (inputs->texts.size() > 96) co_return make_error(errc::invalid_request, "Cohere embeddings on Bedrock take at most 96 inputs a request");
    json::array texts;
    for (auto t : inputs->texts) texts.emplace_back(t);
    const std::string body_text = json::serialize(json::object{{"texts", std::move(texts)}, {"input_type", "search_document"}});
    auto body = co_await post(*path, body_text, call);
    if (!body) co_return body.error();
    boost::system::error_code ec;
    answers.push_back(json::parse(*body, ec));
    const auto* list = !ec && answers.back().is_object() ? answers.back().as_object().if_contains("embeddings") : nullptr;
    if (!list || !list->is_array() || list->as_array().size() != inputs->texts.size()) {
      co_return make_error(errc::upstream_bad_response, "sent a Cohere embeddings answer without one vector per input", config_.name);
    }
    for (const auto& e : list->as_array()) {
      if (!e.is_array()) co_return make_error(errc::upstream_bad_response, "sent an embedding that is not an array", config_.name);
      vectors.push_back(&e.as_array());
    }
  } else {  // Titan: one call per input, {"inputText": ..., "dimensions"?}
    if (inputs->texts.size() > 128) co_return make_error(errc::invalid_request, "Titan embeddings on Bedrock: at most 128 inputs a request (one call each)");
    answers.reserve(inputs->texts.size());
    counted = true;
    for (auto t : inputs->texts) {
      json::object req{{"inputText", t}};
      if (const auto* d = call.body.if_contains("dimensions"); d && d->is_int64()) req["dimensions"] = *d;
      auto body = co_await post(*path, json::serialize(req), call);
      if (!body) co_return body.error();
      boost::system::error_code ec;
      answers.push_back(json::parse(*body, ec));
      const auto* o = !ec ? answers.back().if_object() : nullptr;
      const auto* e = o ? o->if_contains("embedding") : nullptr;
      if (!e || !e->is_array()) co_return make_error(errc::upstream_bad_response, "sent a Titan answer without an embedding", config_.name);
      vectors.push_back(&e->as_array());
      if (const auto* n = o->if_contains("inputTextTokenCount"); n && n->is_int64()) tokens += n->as_int64();
      else counted = false;
    }
  }
  if (!counted) tokens = inputs->estimated_tokens;
  auto answer = openai_embeddings_list(vectors, model, wants_base64(call.body), tokens);
  if (!answer) co_return with_provider(answer.error(), config_.name);
  Usage usage;
  usage.prompt_tokens = tokens;
  usage.reported = counted;
  co_return ChatResponse{std::move(*answer), config_.name, std::string(model), std::chrono::steady_clock::now() - started_at, usage};
}

asio::awaitable<result<void>> BedrockClient::probe() {
  auto held = co_await pool().acquire();  // a connection (TCP + TLS) within connect_timeout, or the error
  if (!held) co_return held.error();
  held->set_reusable(true);  // nothing was exchanged: back to the pool
  co_return result<void>();
}

}  // namespace switchyard::providers
