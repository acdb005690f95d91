#pragma once
// Google service-account OAuth (what a Vertex provider's credentials_file
// holds), sans-io: the credentials JSON read, the RS256-signed JWT assertion
// (OpenSSL), the token request's form body, the token response read. The
// exchange itself is vertex_token_source's. Wire format: wire-formats-3.md 4.5.
#include <switchyard/error.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace switchyard::providers {

struct ServiceAccount {
  std::string client_email;
  std::string private_key_pem;  // PKCS#8 PEM
  std::string private_key_id;   // the JWT's kid (optional)
  std::string token_uri;        // where the assertion is exchanged (honoured as given)
  std::string project_id;
};

// The credentials file's JSON; an error naming what is missing (never a key's bytes).
result<ServiceAccount> read_service_account(std::string_view json);

// base64url without padding (JWT's encoding).
std::string base64url(std::string_view bytes);

inline constexpr std::string_view kCloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform";
inline constexpr std::string_view kGoogleTokenAudience = "https://oauth2.googleapis.com/token";

// header.claims.signature: iss = client_email, scope = cloud-platform, aud = Google's token audience, iat, exp = iat + 3600.
result<std::string> sign_jwt_assertion(const ServiceAccount& account, std::int64_t iat);

// "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=<jwt>"
std::string token_request_body(std::string_view assertion);

struct AccessToken {
  std::string token;
  std::int64_t expires_at = 0;  // unix seconds
};

// {"access_token", "expires_in" (a number or a string)} at `now`; an error for anything else.
result<AccessToken> read_token_response(std::string_view body, std::int64_t now);

// Whether `jwt` is an RS256 JWT signed by the key whose public half is `public_pem` (the mock's check).
bool verify_rs256_jwt(std::string_view jwt, std::string_view public_pem);

}  // namespace switchyard::providers
