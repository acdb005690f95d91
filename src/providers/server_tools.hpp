#pragma once
// Tools a provider runs on its own side, billed by the provider beyond the
// request's tokens (searches, containers, remote MCP calls): OpenAI Responses'
// hosted tools (web_search, file_search against the caller's vector stores,
// code_interpreter, mcp, image_generation, computer_use), Anthropic's server
// tools (web_search, web_fetch, code_execution, mcp_servers, a container) and
// chat completions' web_search_options. Client-executed tools (functions,
// custom tools, Codex's local_shell, Anthropic's bash / text_editor /
// computer) are not: the client runs them. An operator turns server tools off
// per route or per key (`server_tools = false`).
#include <boost/json/object.hpp>

#include <string>

namespace switchyard::providers {

// The first server-side tool a request asks for, in words ("web_search",
// "mcp_servers"), or "" when it asks for none. `body` is the request as the
// client sent it (chat completions, Responses or Messages).
std::string server_tool_in(const boost::json::object& body);

}  // namespace switchyard::providers
