#include <boost/test/unit_test.hpp>

#include <random>
#include <string>

#include "text/byte_search.hpp"

using switchyard::text::find_bytes;

BOOST_AUTO_TEST_SUITE(byte_search)

BOOST_AUTO_TEST_CASE(finds_what_string_view_find_finds) {
  const std::string chunk =
      R"({"id":"chatcmpl-1","object":"chat.completion.chunk","model":"m","choices":[{"index":0,"delta":{"content":"x"}}],"error":{"message":"boom"}})";
  BOOST_TEST(find_bytes(chunk, "\"error\"") == chunk.find("\"error\""));
  BOOST_TEST(find_bytes(chunk, "\"usage\"") == std::string_view::npos);
  BOOST_TEST(find_bytes(chunk, "{") == 0u);
  BOOST_TEST(find_bytes(chunk, "") == 0u);
  BOOST_TEST(find_bytes("ab", "abc") == std::string_view::npos);
  BOOST_TEST(find_bytes(chunk, chunk) == 0u);
  // Escaped inside content: not the key.
  BOOST_TEST(find_bytes(R"({"content":"say \"error\" now"})", "\"error\"") == std::string_view::npos);
}

BOOST_AUTO_TEST_CASE(matches_a_reference_at_every_offset_and_length) {
  // Every position of the SIMD loop and of its tail, needles of 1 to 9 bytes,
  // in texts made of few letters so that partial matches are frequent.
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> letter(0, 2);
  for (int round = 0; round < 3000; ++round) {
    std::string text(static_cast<std::size_t>(rng() % 80), ' ');
    for (auto& c : text) c = static_cast<char>('a' + letter(rng));
    std::string needle(1 + rng() % 9, ' ');
    for (auto& c : needle) c = static_cast<char>('a' + letter(rng));
    BOOST_TEST_REQUIRE(find_bytes(text, needle) == std::string_view(text).find(needle), text << " / " << needle);
  }
}

BOOST_AUTO_TEST_SUITE_END()
