#include "org/key_secret.hpp"

#include <openssl/rand.h>

#include <array>
#include <stdexcept>

#include "auth/key_store.hpp"

namespace switchyard::org {

NewSecret make_secret() {
  static constexpr char kBase62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  // 43 characters, each from a byte below 248 (4 × 62: no modulo bias); 43 × log2(62) ≈ 256 bits.
  std::string out = "sk-sy-";
  while (out.size() < 6 + 43) {
    std::array<unsigned char, 64> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) throw std::runtime_error("OpenSSL: no random bytes for a new key");
    for (const unsigned char b : bytes) {
      if (b < 248 && out.size() < 6 + 43) out += kBase62[b % 62];
    }
  }
  return NewSecret{out, auth::KeyStore::sha256(out), out.substr(0, kPrefixChars)};
}

}  // namespace switchyard::org
