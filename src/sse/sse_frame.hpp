#pragma once
// One SSE event framed for the wire: "event: NAME\n" (when named), the data
// line by line ("data: ...\n"), and the empty line that ends it.
#include <string>
#include <string_view>

namespace switchyard::sse {

std::string frame(std::string_view event, std::string_view data);

}  // namespace switchyard::sse
