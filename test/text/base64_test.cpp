// text::append_base64 / decode_base64 against RFC 4648's test vectors.
#include <boost/test/unit_test.hpp>

#include "text/base64.hpp"

using namespace switchyard::text;

BOOST_AUTO_TEST_SUITE(base64)

BOOST_AUTO_TEST_CASE(rfc_4648_vectors_both_ways) {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},  {"foob", "Zm9vYg=="},  {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    std::string out;
    append_base64(out, plain);
    BOOST_TEST(out == encoded);
    std::string back;
    BOOST_TEST(decode_base64(encoded, back));
    BOOST_TEST(back == plain);
  }
  std::string binary;
  append_base64(binary, std::string("\x00\xff\xfe", 3));
  BOOST_TEST(binary == "AP/+");
}

BOOST_AUTO_TEST_CASE(malformed_text_is_refused) {
  std::string out;
  for (const char* bad : {"Zg=", "Z===", "Zm9v!A==", "abc", "Zg==Zg=="}) BOOST_TEST(!decode_base64(bad, out), bad);
}

BOOST_AUTO_TEST_SUITE_END()
