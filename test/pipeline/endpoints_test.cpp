#include <boost/test/unit_test.hpp>

#include "server/endpoints.hpp"

// The endpoint table the session consults before reading a body.

using namespace switchyard;
using server::EndpointTable;
using boost::beast::http::verb;
using pipeline::Access;

BOOST_AUTO_TEST_SUITE(endpoints)

BOOST_AUTO_TEST_CASE(paths_are_found_exactly_and_methods_checked) {
  EndpointTable table({
      {"/v1/chat/completions", verb::post, Access::client_key, true, server::ErrorShape::openai, {}},
      {"/v1/messages", verb::post, Access::client_key, true, server::ErrorShape::anthropic, {}},
      {"/health", verb::get, Access::open, false, server::ErrorShape::openai, {}},
  });
  const auto* chat = table.find("/v1/chat/completions");
  BOOST_REQUIRE(chat);
  BOOST_TEST(chat->takes_body);
  BOOST_TEST((table.find("/v1/messages")->shape == server::ErrorShape::anthropic));
  BOOST_TEST(!table.find("/v1/chat/completions/"));  // exact paths only
  BOOST_TEST(!table.find("/V1/chat/completions"));
  BOOST_TEST(!table.find(""));
  BOOST_TEST(EndpointTable::method_allowed(*chat, verb::post));
  BOOST_TEST(!EndpointTable::method_allowed(*chat, verb::get));
  const auto* health = table.find("/health");
  BOOST_TEST(EndpointTable::method_allowed(*health, verb::get));
  BOOST_TEST(EndpointTable::method_allowed(*health, verb::head));  // GET endpoints answer HEAD
  BOOST_TEST(!EndpointTable::method_allowed(*health, verb::post));
  BOOST_TEST(!EndpointTable::method_allowed(*health, verb::delete_));
}

BOOST_AUTO_TEST_SUITE_END()
