#include <boost/test/unit_test.hpp>

#include <map>

#include "config/env_expander.hpp"

using namespace switchyard::config;

namespace {
EnvLookup fake(std::map<std::string, std::string> vars) {
  return [vars](const std::string& k) -> std::optional<std::string> {
    auto it = vars.find(k);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}
}  // namespace

BOOST_AUTO_TEST_CASE(expands_set_variables_anywhere_in_the_string) {
  auto r = expand_env("http://${HOST}:${PORT}/v1", fake({{"HOST", "h"}, {"PORT", "1"}}));
  BOOST_TEST(r.value == "http://h:1/v1");
  BOOST_TEST(r.missing.empty());
  BOOST_TEST(r.error.empty());
}

BOOST_AUTO_TEST_CASE(reports_unset_variables_and_uses_defaults) {
  auto r = expand_env("${A}-${B:-fallback}", fake({}));
  BOOST_TEST(r.value == "-fallback");
  BOOST_REQUIRE(r.missing.size() == 1u);
  BOOST_TEST(r.missing[0] == "A");
}

BOOST_AUTO_TEST_CASE(an_empty_variable_counts_as_unset) {
  auto r = expand_env("${A}", fake({{"A", ""}}));
  BOOST_TEST(r.missing.size() == 1u);
}

BOOST_AUTO_TEST_CASE(syntax_errors_are_reported) {
  BOOST_TEST(!expand_env("${A", fake({})).error.empty());
  BOOST_TEST(!expand_env("${}", fake({})).error.empty());
  BOOST_TEST(expand_env("$A and $", fake({})).value == "$A and $");
}

BOOST_AUTO_TEST_CASE(an_unterminated_reference_does_not_repeat_the_value) {
  // The value may be a secret written in place with a typo.
  const auto r = expand_env("sk-live-secret-value-${OOPS", fake({}));
  BOOST_TEST(!r.error.empty());
  BOOST_TEST(r.error.find("sk-live") == std::string::npos);
}
