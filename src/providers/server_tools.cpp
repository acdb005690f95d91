#include "providers/server_tools.hpp"

#include <string_view>

namespace switchyard::providers {

namespace {
// Tool "type"s that the client itself runs (or plain function tools).
bool client_side(std::string_view type) noexcept {
  for (std::string_view t : {"function", "custom", "local_shell"}) {
    if (type == t) return true;
  }
  // Anthropic's client tools carry a version suffix: bash_20250124, text_editor_20250728, computer_20250124.
  for (std::string_view prefix : {"bash_2", "text_editor_2", "computer_2"}) {
    if (type.starts_with(prefix)) return true;
  }
  return false;
}
}  // namespace

std::string server_tool_in(const boost::json::object& body) {
  if (const auto* mcp = body.if_contains("mcp_servers"); mcp && mcp->is_array() && !mcp->as_array().empty()) return "mcp_servers";
  if (const auto* c = body.if_contains("container"); c && !c->is_null()) return "container";
  if (const auto* w = body.if_contains("web_search_options"); w && !w->is_null()) return "web_search_options";
  const auto* tools = body.if_contains("tools");
  if (!tools || !tools->is_array()) return {};
  for (const auto& t : tools->as_array()) {
    if (!t.is_object()) continue;
    const auto* type = t.as_object().if_contains("type");
    if (!type || !type->is_string()) continue;  // Anthropic's custom tools have no type
    const std::string_view name = type->as_string();
    if (!client_side(name)) return std::string(name.substr(0, 64));
  }
  return {};
}

}  // namespace switchyard::providers
