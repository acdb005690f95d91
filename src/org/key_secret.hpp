#pragma once
// A new client key's secret: "sk-sy-" and 43 base62 characters from 32
// random bytes (OpenSSL's RAND_bytes), shown once; what is kept is its
// SHA-256 and its first characters (the prefix people tell keys apart by).
#include <string>

namespace switchyard::org {

inline constexpr std::size_t kPrefixChars = 10;  // "sk-sy-" and 4 characters

struct NewSecret {
  std::string secret;  // give to the client, once
  std::string sha256;  // 32 raw bytes, kept
  std::string prefix;  // kept and shown
};

// Throws std::runtime_error if the system's random source fails (it does not return a weak key).
NewSecret make_secret();

}  // namespace switchyard::org
