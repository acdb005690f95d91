#include "providers/google_service_account.hpp"

#include <boost/json.hpp>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <memory>

#include "text/base64.hpp"

namespace switchyard::providers {

namespace json = boost::json;

namespace {

struct BioFree {
  void operator()(BIO* b) const noexcept { BIO_free(b); }
};
struct KeyFree {
  void operator()(EVP_PKEY* k) const noexcept { EVP_PKEY_free(k); }
};
struct CtxFree {
  void operator()(EVP_MD_CTX* c) const noexcept { EVP_MD_CTX_free(c); }
};

std::string_view string_of(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string_view(v->as_string()) : std::string_view{};
}

}  // namespace

result<ServiceAccount> read_service_account(std::string_view text) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_object()) return make_error(errc::invalid_request, "the credentials file is not JSON");
  const auto& o = v.as_object();
  if (string_of(o, "type") != "service_account") {
    return make_error(errc::invalid_request, "the credentials file is not a service account's (\"type\": \"service_account\")");
  }
  ServiceAccount a{std::string(string_of(o, "client_email")), std::string(string_of(o, "private_key")),
                   std::string(string_of(o, "private_key_id")), std::string(string_of(o, "token_uri")),
                   std::string(string_of(o, "project_id"))};
  if (a.client_email.empty()) return make_error(errc::invalid_request, "the credentials file has no client_email");
  if (a.private_key_pem.empty()) return make_error(errc::invalid_request, "the credentials file has no private_key");
  if (a.token_uri.empty()) a.token_uri = std::string(kGoogleTokenAudience);
  return a;
}

std::string base64url(std::string_view bytes) { return text::base64url(bytes); }

result<std::string> sign_jwt_assertion(const ServiceAccount& a, std::int64_t iat) {
  json::object header{{"alg", "RS256"}, {"typ", "JWT"}};
  if (!a.private_key_id.empty()) header["kid"] = a.private_key_id;
  const json::object claims{{"iss", a.client_email}, {"scope", kCloudPlatformScope}, {"aud", kGoogleTokenAudience}, {"iat", iat}, {"exp", iat + 3600}};
  std::string signing_input = base64url(json::serialize(header)) + "." + base64url(json::serialize(claims));
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(a.private_key_pem.data(), static_cast<int>(a.private_key_pem.size())));
  std::unique_ptr<EVP_PKEY, KeyFree> key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key || EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA) {
    return make_error(errc::invalid_request, "the credentials file's private_key is not an RSA key in PEM");
  }
  std::unique_ptr<EVP_MD_CTX, CtxFree> ctx(EVP_MD_CTX_new());
  std::size_t len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size()) != 1) {
    return make_error(errc::internal, "signing the JWT failed");
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, reinterpret_cast<const unsigned char*>(signing_input.data()),
                     signing_input.size()) != 1) {
    return make_error(errc::internal, "signing the JWT failed");
  }
  sig.resize(len);
  signing_input += '.';
  signing_input += base64url(sig);
  return signing_input;
}

std::string token_request_body(std::string_view assertion) {
  std::string body = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=";
  body += assertion;  // base64url and dots: nothing to escape
  return body;
}

result<AccessToken> read_token_response(std::string_view body, std::int64_t now) {
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  if (ec || !v.is_object()) return make_error(errc::upstream_bad_response, "the token endpoint answered something that is not JSON");
  const auto& o = v.as_object();
  const std::string_view token = string_of(o, "access_token");
  if (token.empty()) return make_error(errc::upstream_bad_response, "the token endpoint's answer has no access_token");
  std::int64_t expires_in = 3600;  // unknown: Google's usual hour
  if (const auto* e = o.if_contains("expires_in")) {
    if (e->is_int64()) expires_in = e->as_int64();
    else if (e->is_string()) expires_in = std::atoll(std::string(e->as_string()).c_str());
  }
  if (expires_in <= 0 || expires_in > 86400) expires_in = 3600;
  return AccessToken{std::string(token), now + expires_in};
}

bool verify_rs256_jwt(std::string_view jwt, std::string_view public_pem) {
  const auto last = jwt.rfind('.');
  if (last == std::string_view::npos || jwt.find('.') == last) return false;
  std::string sig;
  if (!text::decode_base64url(jwt.substr(last + 1), sig)) return false;
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(public_pem.data(), static_cast<int>(public_pem.size())));
  std::unique_ptr<EVP_PKEY, KeyFree> key(bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  std::unique_ptr<EVP_MD_CTX, CtxFree> ctx(EVP_MD_CTX_new());
  if (!key || !ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1) return false;
  const auto input = jwt.substr(0, last);
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                          reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
}

}  // namespace switchyard::providers
