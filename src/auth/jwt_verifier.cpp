#include "auth/jwt_verifier.hpp"

#include <openssl/ecdsa.h>
#include <openssl/evp.h>

#include <boost/json/parse.hpp>

#include <algorithm>
#include <memory>

#include "text/base64.hpp"

namespace switchyard::auth {

namespace json = boost::json;

namespace {
Error refused(std::string why) { return make_error(errc::invalid_key, "invalid token: " + std::move(why)); }

bool parse_part(std::string_view part, json::object& out) {
  std::string text;
  if (!text::decode_base64url(part, text)) return false;
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_object()) return false;
  out = std::move(v.as_object());
  return true;
}

// JOSE's ES256 signature is r||s (32 bytes each); OpenSSL verifies DER.
bool jose_to_der(const std::string& sig, std::string& der) {
  if (sig.size() != 64) return false;
  std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> s(ECDSA_SIG_new(), ECDSA_SIG_free);
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(sig.data()), 32, nullptr);
  BIGNUM* ss = BN_bin2bn(reinterpret_cast<const unsigned char*>(sig.data()) + 32, 32, nullptr);
  if (!s || !r || !ss || ECDSA_SIG_set0(s.get(), r, ss) != 1) {
    BN_free(r);
    BN_free(ss);
    return false;
  }
  const int len = i2d_ECDSA_SIG(s.get(), nullptr);
  if (len <= 0) return false;
  der.resize(static_cast<std::size_t>(len));
  auto* p = reinterpret_cast<unsigned char*>(der.data());
  return i2d_ECDSA_SIG(s.get(), &p) == len;
}

bool signature_ok(const PublicKey& key, std::string_view input, const std::string& sig) {
  std::string der;
  const std::string* checked = &sig;
  if (key.alg == "ES256") {
    if (!jose_to_der(sig, der)) return false;
    checked = &der;
  }
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  return ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.key.get()) == 1 &&
         EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(checked->data()), checked->size(),
                          reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
}

// A claim's values: a string, or an array's strings.
std::vector<std::string> values_of(const json::object& claims, const std::string& name) {
  std::vector<std::string> out;
  const auto* v = claims.if_contains(name);
  if (!v) return out;
  if (v->is_string()) out.emplace_back(v->as_string());
  if (v->is_array()) {
    for (const auto& item : v->as_array()) {
      if (item.is_string()) out.emplace_back(item.as_string());
    }
  }
  return out;
}

std::optional<Error> check_claims(const json::object& claims, const JwtConfig& config, std::int64_t now_s) {
  const auto leeway = std::chrono::duration_cast<std::chrono::seconds>(config.leeway).count();
  const auto iss = values_of(claims, "iss");
  if (iss.size() != 1 || iss[0] != config.issuer) return refused("it was not issued by " + config.issuer);
  const auto aud = values_of(claims, "aud");
  if (std::find(aud.begin(), aud.end(), config.audience) == aud.end()) return refused("its audience is not " + config.audience);
  const auto* exp = claims.if_contains("exp");
  if (!exp || !exp->is_number()) return refused("it has no expiry (exp)");
  if (exp->to_number<double>() + static_cast<double>(leeway) <= static_cast<double>(now_s)) return refused("it expired");
  if (const auto* nbf = claims.if_contains("nbf"); nbf && (!nbf->is_number() || nbf->to_number<double>() - static_cast<double>(leeway) > static_cast<double>(now_s))) {
    return refused("it is not valid yet (nbf)");
  }
  return std::nullopt;
}
}  // namespace

bool looks_like_jwt(std::string_view b) noexcept {
  return b.size() > 20 && b.size() <= kMaxJwtBytes && b.starts_with("eyJ") && std::count(b.begin(), b.end(), '.') == 2;
}

JwtVerdict verify_jwt(std::string_view token, const KeySet& keys, const JwtConfig& config, const std::vector<std::string>& teams,
                      std::int64_t now_s) {
  JwtVerdict out{refused("malformed")};
  if (!looks_like_jwt(token)) return out;
  const auto first = token.find('.'), last = token.rfind('.');
  json::object header, claims;
  std::string sig;
  if (!parse_part(token.substr(0, first), header) || !parse_part(token.substr(first + 1, last - first - 1), claims) ||
      !text::decode_base64url(token.substr(last + 1), sig)) {
    return out;
  }
  const auto* alg = header.if_contains("alg");
  if (!alg || !alg->is_string() || (alg->as_string() != "RS256" && alg->as_string() != "ES256")) {
    out.identity = refused("the algorithm must be RS256 or ES256");
    return out;
  }
  const auto* kid_v = header.if_contains("kid");
  const std::string_view kid = kid_v && kid_v->is_string() ? std::string_view(kid_v->as_string()) : std::string_view();
  const PublicKey* key = keys.find(kid);
  if (!key) {
    out.unknown_kid = true;
    out.identity = refused("its signing key (kid) is not in the identity provider's key set");
    return out;
  }
  if (key->alg != alg->as_string()) {
    out.identity = refused("its algorithm is not its key's");
    return out;
  }
  if (!signature_ok(*key, token.substr(0, last), sig)) {
    out.identity = refused("the signature does not verify");
    return out;
  }
  if (auto bad = check_claims(claims, config, now_s)) {
    out.identity = *bad;
    return out;
  }
  JwtIdentity id;
  if (auto sub = values_of(claims, "sub"); !sub.empty()) id.subject = sub[0];
  if (auto user = values_of(claims, config.user_claim); !user.empty()) id.user = user[0];
  for (const auto& t : values_of(claims, config.team_claim)) {
    if (id.team.empty() && std::find(teams.begin(), teams.end(), t) != teams.end()) id.team = t;
  }
  if (!config.admin_claim.empty()) {
    for (const auto& v : values_of(claims, config.admin_claim)) {
      id.admin = id.admin || std::find(config.admin_values.begin(), config.admin_values.end(), v) != config.admin_values.end();
    }
  }
  out.identity = std::move(id);
  return out;
}

}  // namespace switchyard::auth
