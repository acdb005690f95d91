#pragma once
// Google's Gemini API as an inbound API (POST /v1beta/models/{model}:generateContent,
// :streamGenerateContent, :embedContent, :batchEmbedContents): a GenAI SDK
// or Gemini CLI request becomes an OpenAI request for the router, and the
// OpenAI answer (JSON or chunks) goes back in Gemini's shapes. Pure, no I/O.
// Wire format: wire-formats-3.md section 5.
#include <switchyard/chat.hpp>
#include <switchyard/error.hpp>

#include <boost/json/object.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace switchyard::providers {

// "/v1beta/models/gemini-2.5-flash:streamGenerateContent" → {model, method}; nullopt when not that shape.
struct GeminiCall {
  std::string model;   // the route or model name the client asked for ("models/" removed)
  std::string method;  // generateContent, streamGenerateContent, countTokens, embedContent, batchEmbedContents
};
std::optional<GeminiCall> parse_gemini_path(std::string_view path);

// A GenerateContentRequest → an OpenAI chat request for `model` (stream: with usage asked for).
result<boost::json::object> gemini_request_to_openai(const boost::json::object& gemini, std::string_view model, bool stream);

// An OpenAI chat.completion → a GenerateContentResponse.
result<std::string> openai_response_to_gemini(std::string_view openai_body, std::string_view model);

// {"error":{"code","message","status"}} (the google.rpc status name for `status`).
std::string gemini_error_body(int status, std::string_view message);

// embedContent ({"content":{"parts":[{"text"}]}}) or batchEmbedContents
// ({"requests":[{"content":...}]}) → an OpenAI embeddings request (float vectors).
result<boost::json::object> gemini_embed_to_openai(const boost::json::object& gemini, std::string_view model, bool batch);
// The OpenAI embeddings answer → {"embedding":{"values"}} or {"embeddings":[{"values"}]}.
result<std::string> openai_embeddings_to_gemini(std::string_view openai_body, bool batch);

// OpenAI chat.completion.chunk JSON in, Gemini SSE frames out ("data: <GenerateContentResponse>\r\n\r\n"):
// text as it comes; a function call whole, once its arguments are complete; the last frame with
// finishReason and usageMetadata.
class OpenAiToGeminiStream {
 public:
  // A function call goes out whole (Gemini's shape): its arguments are held until the end, at most this much.
  static constexpr std::size_t kMaxCallArguments = 8 * 1024 * 1024;
  explicit OpenAiToGeminiStream(std::string model) : model_(std::move(model)) {}
  result<void> on_chunk(std::string_view chunk_json, std::string& out);
  void on_end(std::string& out);
  static void on_error(const Error& e, std::string& out);

 private:
  void frame(std::string& out, boost::json::array parts, std::string_view finish, bool with_usage);
  struct Call {
    std::string name, arguments;
  };
  std::string model_, id_;
  std::map<std::int64_t, Call> calls_;
  std::string finish_;
  Usage usage_;
  bool usage_seen_ = false, ended_ = false;
};

}  // namespace switchyard::providers
