#include "auth/jwks.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <boost/json/parse.hpp>

#include "text/base64.hpp"

namespace switchyard::auth {

namespace json = boost::json;

namespace {
struct Free {
  void operator()(OSSL_PARAM_BLD* b) const noexcept { OSSL_PARAM_BLD_free(b); }
  void operator()(OSSL_PARAM* p) const noexcept { OSSL_PARAM_free(p); }
  void operator()(EVP_PKEY_CTX* c) const noexcept { EVP_PKEY_CTX_free(c); }
  void operator()(BIGNUM* n) const noexcept { BN_free(n); }
};

std::string field(const json::object& o, std::string_view k) {
  const auto* v = o.if_contains(k);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

bool decode(const json::object& o, std::string_view k, std::string& out) { return text::decode_base64url(field(o, k), out) && !out.empty(); }

std::shared_ptr<EVP_PKEY> from_params(const char* type, OSSL_PARAM_BLD* bld) {
  std::unique_ptr<OSSL_PARAM, Free> params(OSSL_PARAM_BLD_to_param(bld));
  std::unique_ptr<EVP_PKEY_CTX, Free> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 || EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return nullptr;
  }
  return std::shared_ptr<EVP_PKEY>(key, EVP_PKEY_free);
}

std::shared_ptr<EVP_PKEY> rsa_key(const json::object& jwk) {
  std::string n, e;
  if (!decode(jwk, "n", n) || !decode(jwk, "e", e) || n.size() < 256 || n.size() > 1024 || e.size() > 8) return nullptr;  // 2048 to 8192 bits
  std::unique_ptr<BIGNUM, Free> bn(BN_bin2bn(reinterpret_cast<const unsigned char*>(n.data()), static_cast<int>(n.size()), nullptr));
  std::unique_ptr<BIGNUM, Free> be(BN_bin2bn(reinterpret_cast<const unsigned char*>(e.data()), static_cast<int>(e.size()), nullptr));
  std::unique_ptr<OSSL_PARAM_BLD, Free> bld(OSSL_PARAM_BLD_new());
  if (!bn || !be || !bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, be.get()) != 1) {
    return nullptr;
  }
  return from_params("RSA", bld.get());
}

std::shared_ptr<EVP_PKEY> p256_key(const json::object& jwk) {
  std::string x, y;
  if (field(jwk, "crv") != "P-256" || !decode(jwk, "x", x) || !decode(jwk, "y", y) || x.size() != 32 || y.size() != 32) return nullptr;
  std::string point = "\x04" + x + y;  // uncompressed
  std::unique_ptr<OSSL_PARAM_BLD, Free> bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1) {
    return nullptr;
  }
  return from_params("EC", bld.get());
}
}  // namespace

result<KeySet> parse_jwks(std::string_view text) {
  if (text.size() > kMaxJwksBytes) return make_error(errc::invalid_request, "the JWKS is over 1 MiB");
  boost::system::error_code ec;
  auto doc = json::parse(text, ec);
  const json::value* list = !ec && doc.is_object() ? doc.as_object().if_contains("keys") : nullptr;
  if (!list || !list->is_array()) return make_error(errc::invalid_request, "the JWKS is not a JSON object with a \"keys\" array");
  KeySet out;
  for (const auto& v : list->as_array()) {
    if (out.keys.size() >= kMaxJwksKeys) break;
    if (!v.is_object()) continue;
    const auto& jwk = v.as_object();
    const std::string kty = field(jwk, "kty"), use = field(jwk, "use"), alg = field(jwk, "alg");
    if (!use.empty() && use != "sig") continue;
    PublicKey key;
    if (kty == "RSA" && (alg.empty() || alg == "RS256")) key = PublicKey{"RS256", rsa_key(jwk)};
    else if (kty == "EC" && (alg.empty() || alg == "ES256")) key = PublicKey{"ES256", p256_key(jwk)};
    if (key.key) out.keys.emplace(field(jwk, "kid"), std::move(key));
  }
  if (out.keys.empty()) return make_error(errc::invalid_request, "the JWKS has no RS256 or ES256 signing key");
  return out;
}

}  // namespace switchyard::auth
