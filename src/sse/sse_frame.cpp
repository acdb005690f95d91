#include "sse/sse_frame.hpp"

namespace switchyard::sse {

std::string frame(std::string_view event, std::string_view data) {
  std::string out;
  out.reserve(event.size() + data.size() + 16);
  if (!event.empty()) {
    out += "event: ";
    out += event;
    out += '\n';
  }
  out += "data: ";
  for (std::size_t nl; (nl = data.find('\n')) != std::string_view::npos; data.remove_prefix(nl + 1)) {  // multi-line data
    out += data.substr(0, nl);
    out += "\ndata: ";
  }
  out += data;
  out += "\n\n";
  return out;
}

}  // namespace switchyard::sse
