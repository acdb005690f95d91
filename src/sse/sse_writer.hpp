#pragma once
// Frames SSE events for the client without copying the payload when it can:
// a JSON chunk (no newlines) is sent as three buffers "data: ", payload, "\n\n".
#include <boost/asio/buffer.hpp>

#include <array>
#include <string>
#include <string_view>

namespace switchyard::sse {

class SseWriter {
 public:
  // Buffers for one `data:` event. Valid while `data` and this writer live.
  const std::array<boost::asio::const_buffer, 3>& frame(std::string_view data);

  // A named event (`event: NAME`), built in the writer's reusable scratch string.
  const std::array<boost::asio::const_buffer, 3>& frame(std::string_view event, std::string_view data);

  static constexpr std::string_view done_frame = "data: [DONE]\n\n";

 private:
  std::array<boost::asio::const_buffer, 3> buffers_{};
  std::string scratch_;
};

}  // namespace switchyard::sse
