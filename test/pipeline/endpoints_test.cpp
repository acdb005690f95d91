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
  const auto* chat = table.find("/v1/chat/completions", verb::post);
  BOOST_REQUIRE(chat);
  BOOST_TEST(chat->takes_body);
  BOOST_TEST((table.find("/v1/messages", verb::post)->shape == server::ErrorShape::anthropic));
  BOOST_TEST(!table.find("/v1/chat/completions/", verb::post));  // exact paths only
  BOOST_TEST(!table.find("/V1/chat/completions", verb::post));
  BOOST_TEST(!table.find("", verb::post));
  BOOST_TEST(EndpointTable::method_allowed(*chat, verb::post));
  BOOST_TEST(!EndpointTable::method_allowed(*chat, verb::get));
  const auto* health = table.find("/health", verb::post);
  BOOST_TEST(EndpointTable::method_allowed(*health, verb::get));
  BOOST_TEST(EndpointTable::method_allowed(*health, verb::head));  // GET endpoints answer HEAD
  BOOST_TEST(!EndpointTable::method_allowed(*health, verb::post));
  BOOST_TEST(!EndpointTable::method_allowed(*health, verb::delete_));
}

BOOST_AUTO_TEST_CASE(a_path_has_a_line_per_method_and_prefixes_match_below_them) {
  EndpointTable table({
      {"/admin/keys", verb::get, Access::admin_key, false, server::ErrorShape::openai, {}},
      {"/admin/keys", verb::post, Access::admin_key, true, server::ErrorShape::openai, {}},
      {"/admin/keys/", verb::get, Access::admin_key, false, server::ErrorShape::openai, {}, true},
      {"/admin/keys/", verb::delete_, Access::admin_key, false, server::ErrorShape::openai, {}, true},
  });
  BOOST_TEST(!table.find("/admin/keys", verb::get)->takes_body);
  BOOST_TEST(table.find("/admin/keys", verb::post)->takes_body);
  const auto* patch = table.find("/admin/keys", verb::patch);  // the path, for a 405
  BOOST_REQUIRE(patch);
  BOOST_TEST(!EndpointTable::method_allowed(*patch, verb::patch));
  BOOST_TEST((table.find("/admin/keys/ci", verb::delete_)->method == verb::delete_));
  BOOST_TEST((table.find("/admin/keys/ci", verb::get)->method == verb::get));
  BOOST_TEST(!table.find("/admin/keys/", verb::get));  // a prefix needs something after it
}

BOOST_AUTO_TEST_SUITE_END()
