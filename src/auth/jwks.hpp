#pragma once
// An identity provider's public keys (a JWKS document, RFC 7517): RSA keys
// (kty "RSA": n, e; for RS256) and P-256 keys (kty "EC", crv "P-256": x, y;
// for ES256), by kid. Other keys (symmetric "oct", other curves, keys whose
// "use" is not "sig") are left out: a token naming them is refused.
#include <switchyard/error.hpp>

#include <map>
#include <memory>
#include <string>
#include <string_view>

typedef struct evp_pkey_st EVP_PKEY;

namespace switchyard::auth {

struct PublicKey {
  std::string alg;  // "RS256" or "ES256": the only algorithm a token signed with this key may name
  std::shared_ptr<EVP_PKEY> key;
};

struct KeySet {
  std::map<std::string, PublicKey, std::less<>> keys;  // by kid ("" for a key without one)
  const PublicKey* find(std::string_view kid) const {
    auto it = keys.find(kid);
    return it == keys.end() ? nullptr : &it->second;
  }
};

inline constexpr std::size_t kMaxJwksBytes = 1 << 20;
inline constexpr std::size_t kMaxJwksKeys = 100;

// The usable keys of a JWKS document; an error when it is not one or holds none.
result<KeySet> parse_jwks(std::string_view json);

}  // namespace switchyard::auth
