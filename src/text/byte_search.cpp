#include "text/byte_search.hpp"

#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace switchyard::text {

std::size_t find_bytes(std::string_view haystack, std::string_view needle) noexcept {
  const std::size_t k = needle.size();
  if (k == 0) return 0;
  if (haystack.size() < k) return std::string_view::npos;
  if (k == 1) {
    const void* at = std::memchr(haystack.data(), needle[0], haystack.size());
    return at ? static_cast<std::size_t>(static_cast<const char*>(at) - haystack.data()) : std::string_view::npos;
  }
  std::size_t i = 0;
#if defined(__SSE2__)
  // Two bytes of the needle filter the positions: its second and its
  // second-to-last (for "\"error\"": 'e' and the last 'r'; its quotes would
  // match every JSON key of its length).
  const std::size_t p1 = k >= 4 ? 1 : 0, p2 = k >= 4 ? k - 2 : k - 1;
  const __m128i first = _mm_set1_epi8(needle[p1]);
  const __m128i last = _mm_set1_epi8(needle[p2]);
  const char* h = haystack.data();
  for (; i + k + 15 <= haystack.size(); i += 16) {
    const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(h + i + p1));
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(h + i + p2));
    auto mask = static_cast<unsigned>(_mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(a, first), _mm_cmpeq_epi8(b, last))));
    while (mask != 0) {
      const auto at = i + static_cast<std::size_t>(__builtin_ctz(mask));
      std::size_t j = 0;
      while (j < k && h[at + j] == needle[j]) ++j;
      if (j == k) return at;
      mask &= mask - 1;
    }
  }
#endif
  const auto rest = haystack.substr(i).find(needle);  // the tail (or everything without SSE2)
  return rest == std::string_view::npos ? rest : i + rest;
}

}  // namespace switchyard::text
