#pragma once
// Writes chat.completion.chunk JSON for the stream translators (Anthropic,
// Gemini → OpenAI). The part before the delta (id, object, model) is built
// once per stream, not per chunk; id and model are JSON-escaped.
#include <switchyard/chat.hpp>

#include <string>
#include <string_view>

namespace switchyard::providers {

class OpenAiChunkWriter {
 public:
  OpenAiChunkWriter(std::string_view id, std::string_view model, bool include_usage);

  // The provider's own message id, once it is known (first event).
  void set_id(std::string_view id);

  // {"id":..,"object":"chat.completion.chunk",..,"choices":[{"index":0,"delta":<delta_json>,
  //  "logprobs":null,"finish_reason":<finish_reason or null>}](,"usage":null)}
  std::string chunk(std::string_view delta_json, std::string_view finish_reason = {}) const;
  // The usage-only last chunk ("choices":[]).
  std::string usage_chunk(const Usage& usage) const;
  bool include_usage() const noexcept { return include_usage_; }

 private:
  void build_prefix();

  std::string id_, model_;
  bool include_usage_;
  std::string prefix_;
};

}  // namespace switchyard::providers
