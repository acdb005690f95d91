// KeyWatch: a set-aside key is logged once per refusal episode (with the
// provider's reason), its return once; nothing for keys that stay as they were.
#include <boost/test/unit_test.hpp>

#include "server/key_watch.hpp"

using namespace switchyard;

BOOST_AUTO_TEST_SUITE(key_watch)

BOOST_AUTO_TEST_CASE(a_refused_key_is_logged_once_and_its_return_too) {
  std::string lines;
  observability::Logger log(observability::LogLevel::info, [&](std::string_view line) {
    lines.append(line);
    lines += '\n';
  });
  server::KeyWatch watch(log);
  ProviderKeyStatus k{"openai", 1, "ab12cd34", 1, "ok", 10, 0, 0, ""};
  watch.look({k});
  BOOST_TEST(lines.empty());
  k.state = "set_aside";
  k.refusals = 1;
  k.last_refusal = "returned HTTP 401: Incorrect API key provided: [redacted]";
  watch.look({k});
  watch.look({k});  // the next tick: nothing new
  BOOST_TEST(lines.find("provider key set aside") != std::string::npos);
  BOOST_TEST(lines.find("#1 ab12cd34") != std::string::npos);
  BOOST_TEST(lines.find("Incorrect API key") != std::string::npos);
  BOOST_TEST(lines.find("set aside") == lines.rfind("set aside"));  // once
  k.state = "ok";
  watch.look({k});
  BOOST_TEST(lines.find("back in use") != std::string::npos);
  k.state = "set_aside";
  k.refusals = 3;  // refused again after its cooldown: a new episode
  watch.look({k});
  BOOST_TEST(lines.find("set aside") != lines.rfind("set aside"));
}

BOOST_AUTO_TEST_SUITE_END()
