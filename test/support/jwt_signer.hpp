#pragma once
// An identity provider for tests: RSA-2048 and P-256 key pairs made with
// OpenSSL, their JWKS entries, and JWTs signed with them (RS256, ES256), or
// with anything else a test needs to see refused.
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <boost/json.hpp>

#include <memory>
#include <stdexcept>
#include <string>

#include "text/base64.hpp"

namespace switchyard::test {

struct TestIdp {
  std::shared_ptr<EVP_PKEY> rsa{EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048}), EVP_PKEY_free};
  std::shared_ptr<EVP_PKEY> ec{EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"), EVP_PKEY_free};

  static std::string bn_param(EVP_PKEY* k, const char* name) {
    BIGNUM* bn = nullptr;
    if (EVP_PKEY_get_bn_param(k, name, &bn) != 1) throw std::runtime_error("test idp: no key parameter");
    std::string out(static_cast<std::size_t>(BN_num_bytes(bn)), '\0');
    BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
    BN_free(bn);
    return out;
  }

  boost::json::object rsa_jwk(const std::string& kid) const {
    return {{"kty", "RSA"}, {"kid", kid}, {"use", "sig"}, {"alg", "RS256"},
            {"n", text::base64url(bn_param(rsa.get(), OSSL_PKEY_PARAM_RSA_N))}, {"e", text::base64url(bn_param(rsa.get(), OSSL_PKEY_PARAM_RSA_E))}};
  }
  boost::json::object ec_jwk(const std::string& kid) const {
    std::string x = bn_param(ec.get(), OSSL_PKEY_PARAM_EC_PUB_X), y = bn_param(ec.get(), OSSL_PKEY_PARAM_EC_PUB_Y);
    x.insert(0, 32 - x.size(), '\0');
    y.insert(0, 32 - y.size(), '\0');
    return {{"kty", "EC"}, {"kid", kid}, {"crv", "P-256"}, {"x", text::base64url(x)}, {"y", text::base64url(y)}};
  }
  std::string jwks(const std::string& rsa_kid = "rsa-1", const std::string& ec_kid = "ec-1") const {
    return boost::json::serialize(boost::json::object{{"keys", boost::json::array{rsa_jwk(rsa_kid), ec_jwk(ec_kid)}}});
  }

  static std::string part(const boost::json::object& o) { return text::base64url(boost::json::serialize(o)); }

  // Signed with `alg` ("RS256", "ES256") by this provider's key, or "none", or "HS256" with `hmac_secret`.
  std::string sign(const boost::json::object& header, const boost::json::object& claims, const std::string& hmac_secret = {}) const {
    const std::string input = part(header) + "." + part(claims);
    const std::string alg(header.at("alg").as_string());
    std::string sig;
    if (alg == "none") return input + ".";
    if (alg == "HS256") {
      unsigned char mac[32];
      unsigned len = 0;
      HMAC(EVP_sha256(), hmac_secret.data(), static_cast<int>(hmac_secret.size()), reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len);
      return input + "." + text::base64url(std::string(reinterpret_cast<char*>(mac), len));
    }
    EVP_PKEY* key = alg == "ES256" ? ec.get() : rsa.get();
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    std::size_t n = 0;
    EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key);
    EVP_DigestSign(ctx.get(), nullptr, &n, reinterpret_cast<const unsigned char*>(input.data()), input.size());
    sig.resize(n);
    EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &n, reinterpret_cast<const unsigned char*>(input.data()), input.size());
    sig.resize(n);
    if (alg == "ES256") {  // DER → r||s
      const auto* p = reinterpret_cast<const unsigned char*>(sig.data());
      ECDSA_SIG* s = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
      std::string rs(64, '\0');
      BN_bn2binpad(ECDSA_SIG_get0_r(s), reinterpret_cast<unsigned char*>(rs.data()), 32);
      BN_bn2binpad(ECDSA_SIG_get0_s(s), reinterpret_cast<unsigned char*>(rs.data()) + 32, 32);
      ECDSA_SIG_free(s);
      sig = rs;
    }
    return input + "." + text::base64url(sig);
  }

  // A token for `sub` in `groups`, valid for an hour from `now`.
  std::string token(const std::string& sub, boost::json::array groups, std::int64_t now, const std::string& alg = "RS256",
                    const std::string& kid = "", const std::string& iss = "https://login.example.com/", const std::string& aud = "switchyard") const {
    const std::string k = kid.empty() ? (alg == "ES256" ? "ec-1" : "rsa-1") : kid;
    return sign({{"alg", alg}, {"typ", "JWT"}, {"kid", k}},
                {{"iss", iss}, {"aud", aud}, {"sub", sub}, {"groups", std::move(groups)}, {"iat", now}, {"exp", now + 3600}});
  }
};

inline JwtConfig test_jwt_config() {
  JwtConfig c;
  c.issuer = "https://login.example.com/";
  c.audience = "switchyard";
  c.jwks_file = "unused";
  return c;
}

}  // namespace switchyard::test
