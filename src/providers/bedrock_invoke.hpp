#pragma once
// Anthropic's Messages API on Bedrock (InvokeModel /
// InvokeModelWithResponseStream), for a client that called /v1/messages and a
// Bedrock target of an Anthropic model: its request goes up as it came but
// for what Bedrock moves (model → the path, stream → the operation, the
// anthropic-beta header → the body's anthropic_beta array, anthropic_version
// "bedrock-2023-05-31"), and its answer comes back as Anthropic's own: a
// stream's EventStream `chunk` events each carry one Messages event
// (base64 in {"bytes"}), handed on as SSE. cache_control, thinking blocks and
// their signatures survive. Wire format: wire-formats-3.md section 2.6.
#include <switchyard/chat.hpp>
#include <switchyard/error.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "providers/anthropic_passthrough.hpp"

namespace switchyard::providers {

// An Anthropic model on Bedrock: a base model id ("anthropic.claude-…") or a
// cross-region inference profile ("us.anthropic.claude-…", "global.anthropic.…").
bool bedrock_anthropic_model(std::string_view model) noexcept;

// The client's Messages request as InvokeModel's body.
std::string bedrock_invoke_body(const NativeRequest& native);

// The Translator of a TranslatedChunkStream<…, EventStreamReader> for
// InvokeModelWithResponseStream: each chunk's Messages event framed as SSE
// ("event: <type>\ndata: <json>\n\n"), usage and the end read as for a
// direct Anthropic stream.
class BedrockChunkPassthrough {
 public:
  result<void> on_event(std::string_view event, std::string_view data, std::vector<std::string>& out);
  result<void> on_end(std::vector<std::string>& out) { return inner_.on_end(out); }
  bool finished() const noexcept { return inner_.finished(); }
  const Usage& usage() const noexcept { return inner_.usage(); }

 private:
  AnthropicPassthrough inner_;
  std::string decoded_;
};

}  // namespace switchyard::providers
