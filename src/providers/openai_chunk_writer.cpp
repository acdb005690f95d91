#include "providers/openai_chunk_writer.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "providers/openai_usage.hpp"

namespace switchyard::providers {

OpenAiChunkWriter::OpenAiChunkWriter(std::string_view id, std::string_view model, bool include_usage)
    : id_(id), model_(model), include_usage_(include_usage) {
  build_prefix();
}

void OpenAiChunkWriter::set_id(std::string_view id) {
  id_ = std::string(id);
  build_prefix();
}

void OpenAiChunkWriter::build_prefix() {
  prefix_ = R"({"id":)" + boost::json::serialize(boost::json::value(id_)) + R"(,"object":"chat.completion.chunk","created":0,"model":)" +
            boost::json::serialize(boost::json::value(model_)) + R"(,"choices":[{"index":0,"delta":)";
}

std::string OpenAiChunkWriter::chunk(std::string_view delta_json, std::string_view finish_reason) const {
  std::string c;
  c.reserve(prefix_.size() + delta_json.size() + 64);
  c += prefix_;
  c += delta_json;
  c += R"(,"logprobs":null,"finish_reason":)";
  if (finish_reason.empty()) {
    c += "null";
  } else {
    c += '"';
    c += finish_reason;  // one of OpenAI's fixed reasons: nothing to escape
    c += '"';
  }
  c += "}]";
  if (include_usage_) c += R"(,"usage":null)";
  c += '}';
  return c;
}

std::string OpenAiChunkWriter::usage_chunk(const Usage& usage) const { return openai_usage_chunk(id_, model_, usage); }

}  // namespace switchyard::providers
