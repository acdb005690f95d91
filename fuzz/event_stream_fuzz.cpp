// AWS EventStream bytes (Bedrock's stream bodies), split at a point the input
// chooses → the decoder → ConverseStream's translator and the InvokeModel
// chunk passthrough: no crash, no unbounded growth, whatever the frames say.
#include "fuzz_support.hpp"
#include "providers/bedrock_invoke.hpp"
#include "providers/converse_translator.hpp"
#include "providers/event_stream_decoder.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace switchyard::providers;
  if (size < 1) return 0;
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::size_t split = bytes.empty() ? 0 : data[0] % (bytes.size() + 1);
  EventStreamDecoder decoder(1 << 20);
  ConverseStreamTranslator converse("model", data[0] % 2 == 0);
  BedrockChunkPassthrough chunks;
  std::vector<std::string> out;
  for (auto piece : {bytes.substr(0, split), bytes.substr(split)}) {
    decoder.feed(piece);
    EventStreamMessage m;
    while (decoder.next(m) == EventStreamStatus::message) {
      out.clear();
      if (m.message_type == "exception") (void)aws_stream_exception(m.event, m.data);
      (void)converse.on_event(m.event, m.data, out);
      (void)chunks.on_event(m.event, m.data, out);
    }
  }
  out.clear();
  (void)converse.on_end(out);
  (void)chunks.on_end(out);
  return 0;
}
