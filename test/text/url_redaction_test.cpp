// text::redact_url: what --check and logs print of a configured URL.
#include <boost/test/unit_test.hpp>

#include "text/url_redaction.hpp"

using namespace switchyard::text;

BOOST_AUTO_TEST_SUITE(url_redaction)

BOOST_AUTO_TEST_CASE(credentials_and_secret_parameters_never_print) {
  BOOST_TEST(redact_url("https://user:s3cret@llm.internal:8443/v1/chat/completions") == "https://***@llm.internal:8443/v1/chat/completions");
  BOOST_TEST(redact_url("http://token@10.0.0.1/v1") == "http://***@10.0.0.1/v1");
  const auto q = redact_url("https://x.example/v1?api-version=2024-10-21&key=AIzaSECRET&sig=abc");
  BOOST_TEST(q.find("AIzaSECRET") == std::string::npos, q);
  BOOST_TEST(q.find("abc") == std::string::npos, q);
  BOOST_TEST(q.find("api-version=2024-10-21") != std::string::npos, q);
  BOOST_TEST(redact_url("https://api.openai.com/v1/chat/completions") == "https://api.openai.com/v1/chat/completions");
  // Not a valid URL: the part before an '@' in the authority still goes.
  const auto odd = redact_url("https://us er:pa ss@host/x y");
  BOOST_TEST(odd.find("pa ss") == std::string::npos, odd);
}

BOOST_AUTO_TEST_SUITE_END()
