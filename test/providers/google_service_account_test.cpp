// Google service-account OAuth, sans-io: the credentials file read, the JWT
// assertion (header and claims as wire-formats-3.md 4.5 encodes them, the
// RS256 signature verified with the public key), the token response read.
#include <boost/test/unit_test.hpp>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "providers/google_service_account.hpp"

using namespace switchyard::providers;

namespace {
std::pair<std::string, std::string> rsa_pems() {
  EVP_PKEY* key = EVP_RSA_gen(2048);
  BIO* priv = BIO_new(BIO_s_mem());
  BIO* pub = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(priv, key, nullptr, nullptr, 0, nullptr, nullptr);
  PEM_write_bio_PUBKEY(pub, key);
  char* d = nullptr;
  std::string a(d, 0), b;
  long n = BIO_get_mem_data(priv, &d);
  a.assign(d, static_cast<std::size_t>(n));
  n = BIO_get_mem_data(pub, &d);
  b.assign(d, static_cast<std::size_t>(n));
  BIO_free(priv);
  BIO_free(pub);
  EVP_PKEY_free(key);
  return {a, b};
}
}  // namespace

BOOST_AUTO_TEST_SUITE(google_service_account)

BOOST_AUTO_TEST_CASE(the_assertion_is_the_documented_jwt_signed_rs256) {
  const auto [priv, pub] = rsa_pems();
  ServiceAccount a{"gateway@my-project.iam.gserviceaccount.com", priv, "0123456789abcdef0123456789abcdef01234567",
                   "https://oauth2.googleapis.com/token", "my-project"};
  auto jwt = sign_jwt_assertion(a, 1700000000);
  BOOST_REQUIRE(jwt);
  BOOST_TEST(jwt->starts_with(
      "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6IjAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1NjcifQ."
      "eyJpc3MiOiJnYXRld2F5QG15LXByb2plY3QuaWFtLmdzZXJ2aWNlYWNjb3VudC5jb20iLCJzY29wZSI6Imh0dHBzOi8vd3d3Lmdvb2dsZWFwaXMuY29tL2F1dGgvY2xvdWQtcGxhdGZvcm0i"
      "LCJhdWQiOiJodHRwczovL29hdXRoMi5nb29nbGVhcGlzLmNvbS90b2tlbiIsImlhdCI6MTcwMDAwMDAwMCwiZXhwIjoxNzAwMDAzNjAwfQ."));
  BOOST_TEST(verify_rs256_jwt(*jwt, pub));
  std::string tampered = *jwt;
  tampered[10] = tampered[10] == 'a' ? 'b' : 'a';
  BOOST_TEST(!verify_rs256_jwt(tampered, pub));
  const auto [other_priv, other_pub] = rsa_pems();
  BOOST_TEST(!verify_rs256_jwt(*jwt, other_pub));
  BOOST_TEST(token_request_body("h.c.s") == "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=h.c.s");
  a.private_key_pem = "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n";
  auto bad = sign_jwt_assertion(a, 1);
  BOOST_REQUIRE(!bad);
  BOOST_TEST(bad.error().message.find("not a key") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(credentials_files_and_token_answers) {
  auto a = read_service_account(R"({"type":"service_account","client_email":"x@y","private_key":"PEM","token_uri":"http://127.0.0.1:1/token"})");
  BOOST_REQUIRE(a);
  BOOST_TEST(a->token_uri == "http://127.0.0.1:1/token");
  BOOST_TEST(!read_service_account(R"({"type":"authorized_user","client_id":"c"})"));
  BOOST_TEST(!read_service_account(R"({"type":"service_account","private_key":"PEM"})"));
  auto t = read_token_response(R"({"access_token":"ya29.abc","expires_in":"3599","token_type":"Bearer"})", 1000);
  BOOST_REQUIRE(t);
  BOOST_TEST(t->token == "ya29.abc");
  BOOST_TEST(t->expires_at == 4599);
  BOOST_TEST(!read_token_response(R"({"error":"invalid_grant"})", 0));
  BOOST_TEST(base64url("\xfb\xff") == "-_8");
}

BOOST_AUTO_TEST_SUITE_END()
