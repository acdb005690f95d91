#pragma once
// Embeddings in OpenAI's shape (POST /v1/embeddings), the gateway's lingua
// franca for them: the request checked once, vectors encoded as base64
// float32 where the client asked for that and the provider sent numbers, and
// Gemini's batchEmbedContents translated both ways.
#include <switchyard/error.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace switchyard::providers {

inline constexpr std::size_t kMaxEmbeddingInputs = 2048;  // OpenAI's limit per request

struct EmbeddingInputs {
  std::vector<std::string_view> texts;  // the string inputs, in order (views into the request)
  std::size_t items = 0;                // inputs: strings or token arrays
  std::size_t token_arrays = 0;         // inputs given as token ids
  std::int64_t estimated_tokens = 0;    // ~4 characters a token; token arrays counted exactly
};

// Reads `input` (a string, strings, a token array or token arrays) and checks
// `encoding_format` ("float" | "base64") and `dimensions` (a positive integer).
result<EmbeddingInputs> read_embedding_request(const boost::json::object& body);

// The client asked for `encoding_format: "base64"` (the openai SDKs' default).
bool wants_base64(const boost::json::object& body) noexcept;

// Appends `values` (numbers) as base64 of packed little-endian float32, the
// layout OpenAI's base64 vectors have; false if a value is not a number.
bool append_float32_base64(std::string& out, const boost::json::array& values);

// An OpenAI-type provider's answer made what the client asked for: vectors
// sent as numbers to a client that asked for base64 are encoded here (many
// OpenAI-compatible servers ignore encoding_format); else passed on as it is.
result<std::string> embeddings_for_client(std::string body, bool base64, const std::string& provider);

// OpenAI's embeddings list from vectors of numbers (encoded as base64 float32 when `base64`).
result<std::string> openai_embeddings_list(const std::vector<const boost::json::array*>& vectors, std::string_view model, bool base64,
                                           std::int64_t prompt_tokens);

// Gemini: the batchEmbedContents request for an OpenAI embeddings request
// (text inputs only; `dimensions` → outputDimensionality).
result<std::string> openai_to_gemini_embeddings(const boost::json::object& body, std::string_view model);
// Gemini's {"embeddings":[{"values":[...]}]} as OpenAI's list, one vector per
// input expected; Gemini reports no usage, so `prompt_tokens` is the estimate.
result<std::string> gemini_to_openai_embeddings(std::string_view body, std::string_view model, bool base64,
                                                std::size_t expected, std::int64_t prompt_tokens);

}  // namespace switchyard::providers
