// AWS Signature V4 against the published AWS test-suite vectors and the
// worked Bedrock examples of wire-formats-3.md (section 1): the canonical
// request byte for byte, its hash, the signature and the Authorization header.
#include <boost/test/unit_test.hpp>

#include "providers/sigv4_signer.hpp"

using namespace switchyard::providers;

namespace {
constexpr std::int64_t kTime = 1440938160;  // 2015-08-30T12:36:00Z
const AwsCredentials kCreds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
const std::string kConverseBody = R"({"messages":[{"role":"user","content":[{"text":"Hello"}]}],"inferenceConfig":{"maxTokens":100}})";
}  // namespace

BOOST_AUTO_TEST_SUITE(sigv4_signer)

BOOST_AUTO_TEST_CASE(post_vanilla_of_the_aws_test_suite) {
  const auto s = sign_v4(SigV4Request{"POST", "example.amazonaws.com", "/", "", {}, ""}, kCreds, "us-east-1", "service", kTime);
  BOOST_TEST(s.canonical_request ==
             "POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
             "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  BOOST_TEST(sha256_hex(s.canonical_request) == "553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87");
  BOOST_TEST(s.signature == "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
  BOOST_TEST(s.authorization ==
             "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, "
             "Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
  BOOST_TEST(s.amz_date == "20150830T123600Z");
}

BOOST_AUTO_TEST_CASE(a_session_token_is_signed_and_sent) {
  AwsCredentials temp = kCreds;
  temp.session_token = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267";
  const auto s = sign_v4(SigV4Request{"GET", "example.amazonaws.com", "/", "", {}, ""}, temp, "us-east-1", "service", kTime);
  BOOST_TEST(sha256_hex(s.canonical_request) == "067b36aa60031588cea4a4cde1f21215227a047690c72247f1d70b32fbbfad2b");
  BOOST_TEST(s.signature == "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8");
  BOOST_TEST(s.headers.size() == 3u);
  BOOST_TEST(s.headers[1].first == "x-amz-security-token");
  BOOST_TEST(s.headers[1].second == temp.session_token);
}

BOOST_AUTO_TEST_CASE(bedrock_converse_with_the_model_id_encoded_on_the_wire_is_signed_double_encoded) {
  SigV4Request r{"POST", "bedrock-runtime.us-east-1.amazonaws.com", "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse", "",
                 {{"Content-Type", "application/json"}}, kConverseBody};
  BOOST_TEST(sha256_hex(kConverseBody) == "a70104911e71b59bfbdea1cc07d6b598b7013d3a263546af5dc9e53f8f57c8f1");
  const auto s = sign_v4(r, kCreds, "us-east-1", "bedrock", kTime);
  BOOST_TEST(s.canonical_request ==
             "POST\n/model/anthropic.claude-3-haiku-20240307-v1%253A0/converse\n\ncontent-type:application/json\n"
             "host:bedrock-runtime.us-east-1.amazonaws.com\nx-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\n"
             "a70104911e71b59bfbdea1cc07d6b598b7013d3a263546af5dc9e53f8f57c8f1");
  BOOST_TEST(sha256_hex(s.canonical_request) == "56c293307bb31384528d5182b2a4e7372a9fd77e0c858ad204750357dd65462d");
  BOOST_TEST(s.signature == "5313987266025a0aa854760382cb1507e6073d4400bf965dbccc8b44c9f53a9d");
  AwsCredentials temp = kCreds;
  temp.session_token = "EXAMPLESESSIONTOKEN";
  const auto t = sign_v4(r, temp, "us-east-1", "bedrock", kTime);
  BOOST_TEST(sha256_hex(t.canonical_request) == "5fc66a5bb98d7aa269ea78695a072302bbb9e7f94309d7141226b4decf7d8b72");
  BOOST_TEST(t.signature == "54c170a325592fd7ebcb3d4ce3ed82f90336250fb02e6ab3fbd30ded4d0a28c3");
}

BOOST_AUTO_TEST_CASE(bedrock_invoke_with_a_raw_colon_and_the_payload_hash_header) {
  const std::string body = R"({"anthropic_version":"bedrock-2023-05-31","max_tokens":100,"messages":[{"role":"user","content":"Hello"}]})";
  const auto hash = sha256_hex(body);
  BOOST_TEST(hash == "b2d8fae26946526d84346b3b0bf9d3da2220642b8b4b08712fd3a90acd1b6892");
  const auto s = sign_v4(SigV4Request{"POST", "bedrock-runtime.us-east-1.amazonaws.com", "/model/anthropic.claude-3-haiku-20240307-v1:0/invoke", "",
                                      {{"content-type", "application/json"}, {"x-amz-content-sha256", hash}}, body},
                         kCreds, "us-east-1", "bedrock", kTime);
  BOOST_TEST(sha256_hex(s.canonical_request) == "8c52b2688e16aefc2207f520d3ea95b50d2290c1790ab8f69b0e16ebe9b2fd1e");
  BOOST_TEST(s.signature == "496367ec59eef3010d9c8cf7b419bb1cf0942e0f4b417141a4ec7c0eaef8148f");
}

BOOST_AUTO_TEST_CASE(paths_are_normalised_queries_sorted_and_header_values_trimmed) {
  BOOST_TEST(aws_canonical_uri("") == "/");
  BOOST_TEST(aws_canonical_uri("/") == "/");
  BOOST_TEST(aws_canonical_uri("/a/./b/../c//d/") == "/a/c/d/");
  BOOST_TEST(aws_canonical_uri("/example space/") == "/example%20space/");
  BOOST_TEST(aws_uri_encode("a b+c~!*", false) == "a%20b%2Bc~%21%2A");
  const auto s = sign_v4(SigV4Request{"GET", "example.amazonaws.com", "/", "Param2=value2&Param1=value1", {{"My-Header1", "  value1   with  spaces "}}, ""},
                         kCreds, "us-east-1", "service", kTime);
  BOOST_TEST(s.canonical_request.find("\nParam1=value1&Param2=value2\n") != std::string::npos);
  BOOST_TEST(s.canonical_request.find("my-header1:value1 with spaces\n") != std::string::npos);
  BOOST_TEST(s.canonical_request.find("wJalr") == std::string::npos);  // the secret is never in what is signed or logged
}

BOOST_AUTO_TEST_SUITE_END()
