#pragma once
// Bytes as lowercase hex digits (digests: cache keys, config hashes, Lua script SHAs).
#include <cstddef>
#include <string>

namespace switchyard::text {

inline std::string to_hex(const unsigned char* bytes, std::size_t size) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out += kHex[bytes[i] >> 4];
    out += kHex[bytes[i] & 15];
  }
  return out;
}

}  // namespace switchyard::text
