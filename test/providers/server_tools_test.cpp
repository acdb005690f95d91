// providers::server_tool_in: the tools a provider runs (and bills beyond tokens), in every client API.
#include <boost/test/unit_test.hpp>

#include <boost/json.hpp>

#include "providers/server_tools.hpp"

using switchyard::providers::server_tool_in;

namespace {
std::string tool_in(const char* body) { return server_tool_in(boost::json::parse(body).as_object()); }
}  // namespace

BOOST_AUTO_TEST_SUITE(server_tools)

BOOST_AUTO_TEST_CASE(provider_run_tools_are_named_and_client_run_tools_are_not) {
  // Responses' hosted tools
  BOOST_TEST(tool_in(R"({"tools":[{"type":"function","name":"f"},{"type":"web_search"}]})") == "web_search");
  BOOST_TEST(tool_in(R"({"tools":[{"type":"file_search","vector_store_ids":["vs_1"]}]})") == "file_search");
  BOOST_TEST(tool_in(R"({"tools":[{"type":"mcp","server_url":"https://x"}]})") == "mcp");
  BOOST_TEST(tool_in(R"({"tools":[{"type":"code_interpreter","container":{"type":"auto"}}]})") == "code_interpreter");
  // Anthropic's server tools, MCP connector and containers
  BOOST_TEST(tool_in(R"({"tools":[{"type":"web_search_20250305","name":"web_search"}]})") == "web_search_20250305");
  BOOST_TEST(tool_in(R"({"tools":[{"type":"code_execution_20250522","name":"code_execution"}]})") == "code_execution_20250522");
  BOOST_TEST(tool_in(R"({"mcp_servers":[{"type":"url","url":"https://x","name":"x"}]})") == "mcp_servers");
  BOOST_TEST(tool_in(R"({"container":"cntr_1"})") == "container");
  // Chat completions' search models
  BOOST_TEST(tool_in(R"({"web_search_options":{}})") == "web_search_options");
  // Run by the client: never refused
  BOOST_TEST(tool_in(R"({"tools":[{"type":"function","function":{"name":"f"}}]})").empty());
  BOOST_TEST(tool_in(R"({"tools":[{"type":"custom","name":"apply_patch"},{"type":"local_shell"}]})").empty());
  BOOST_TEST(tool_in(R"({"tools":[{"name":"get_weather","input_schema":{}},{"type":"bash_20250124","name":"bash"},
                                 {"type":"text_editor_20250728","name":"str_replace_based_edit_tool"},{"type":"computer_20250124","name":"computer"}]})").empty());
  BOOST_TEST(tool_in(R"({"mcp_servers":[],"container":null,"tools":"nonsense"})").empty());
}

BOOST_AUTO_TEST_SUITE_END()
