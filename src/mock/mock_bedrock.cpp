#include "mock/mock_bedrock.hpp"

#include <boost/json.hpp>

#include <ctime>
#include <vector>

#include "providers/event_stream_decoder.hpp"
#include "providers/sigv4_signer.hpp"

namespace switchyard::mock {

namespace {

// "20150830T123600Z" → unix seconds; nullopt when malformed.
std::optional<std::int64_t> parse_amz_date(std::string_view d) {
  if (d.size() != 16 || d[8] != 'T' || d[15] != 'Z') return std::nullopt;
  auto num = [&](std::size_t at, std::size_t n) {
    int v = 0;
    for (std::size_t i = at; i < at + n; ++i) {
      if (d[i] < '0' || d[i] > '9') return -1;
      v = v * 10 + (d[i] - '0');
    }
    return v;
  };
  std::tm tm{};
  tm.tm_year = num(0, 4) - 1900;
  tm.tm_mon = num(4, 2) - 1;
  tm.tm_mday = num(6, 2);
  tm.tm_hour = num(9, 2);
  tm.tm_min = num(11, 2);
  tm.tm_sec = num(13, 2);
  if (tm.tm_year < 0 || tm.tm_mon < 0 || tm.tm_mday < 0 || tm.tm_hour < 0 || tm.tm_min < 0 || tm.tm_sec < 0) return std::nullopt;
  return static_cast<std::int64_t>(timegm(&tm));
}

// The value of `key=` in an Authorization header's comma-separated parts.
std::string_view auth_part(std::string_view auth, std::string_view key) {
  const auto at = auth.find(key);
  if (at == std::string_view::npos) return {};
  std::string_view v = auth.substr(at + key.size());
  return v.substr(0, v.find(','));
}

}  // namespace

std::string sigv4_access_key_id(std::string_view authorization) {
  if (authorization.substr(0, 17) != "AWS4-HMAC-SHA256 ") return {};
  const std::string_view cred = auth_part(authorization, "Credential=");
  return std::string(cred.substr(0, cred.find('/')));
}

std::string check_sigv4(const SignedRequest& r, std::string_view secret, std::string_view service, std::int64_t now) {
  const auto auth = r.header("authorization");
  if (!auth || auth->substr(0, 17) != "AWS4-HMAC-SHA256 ") return "no AWS4-HMAC-SHA256 Authorization header";
  const std::string_view cred = auth_part(*auth, "Credential=");
  const std::string_view signed_headers = auth_part(*auth, "SignedHeaders=");
  const std::string_view signature = auth_part(*auth, "Signature=");
  // Credential = AKID/date/region/service/aws4_request
  std::vector<std::string_view> scope;
  for (std::string_view rest = cred; !rest.empty();) {
    const auto slash = rest.find('/');
    scope.push_back(rest.substr(0, slash));
    rest.remove_prefix(slash == std::string_view::npos ? rest.size() : slash + 1);
  }
  if (scope.size() != 5 || scope[3] != service || scope[4] != "aws4_request") return "a malformed credential scope";
  const auto date = r.header("x-amz-date");
  if (!date) return "no x-amz-date";
  const auto when = parse_amz_date(*date);
  if (!when || *when < now - 900 || *when > now + 900) return "x-amz-date is not within 15 minutes of the mock's clock";
  if (date->substr(0, 8) != scope[1]) return "the credential scope's date is not x-amz-date's";
  providers::SigV4Request req;
  req.method = r.method;
  std::string_view target = r.target;
  req.path = target.substr(0, target.find('?'));
  if (const auto q = target.find('?'); q != std::string_view::npos) req.query = target.substr(q + 1);
  const auto host = r.header("host");
  if (!host) return "no host header";
  req.host = *host;
  req.body = r.body;
  std::string token;
  for (std::string_view rest = signed_headers; !rest.empty();) {
    const auto semi = rest.find(';');
    const std::string_view name = rest.substr(0, semi);
    rest.remove_prefix(semi == std::string_view::npos ? rest.size() : semi + 1);
    if (name == "host" || name == "x-amz-date") continue;
    const auto v = r.header(name);
    if (!v) return "a signed header is missing: " + std::string(name);
    if (name == "x-amz-security-token") {
      token = *v;
      continue;
    }
    req.headers.emplace_back(std::string(name), *v);
  }
  const providers::AwsCredentials creds{std::string(scope[0]), std::string(secret), token};
  const auto expected = providers::sign_v4(req, creds, scope[2], service, *when);
  if (expected.signature != signature) return "the signature does not match (secret, bytes or headers differ)";
  return {};
}

int converse_prompt_tokens(const boost::json::object& body) {
  int tokens = 0;
  const auto* msgs = body.if_contains("messages");
  if (!msgs || !msgs->is_array()) return 0;
  for (const auto& m : msgs->as_array()) {
    const auto* content = m.is_object() ? m.as_object().if_contains("content") : nullptr;
    if (!content || !content->is_array()) continue;
    for (const auto& b : content->as_array()) {
      const auto* t = b.is_object() ? b.as_object().if_contains("text") : nullptr;
      if (t && t->is_string()) tokens += static_cast<int>(t->as_string().size() / 4) + 1;
    }
  }
  return tokens;
}

std::string converse_first_tool(const boost::json::object& body) {
  const auto* tc = body.if_contains("toolConfig");
  const auto* tools = tc && tc->is_object() ? tc->as_object().if_contains("tools") : nullptr;
  if (!tools || !tools->is_array()) return {};
  for (const auto& t : tools->as_array()) {
    const auto* spec = t.is_object() ? t.as_object().if_contains("toolSpec") : nullptr;
    const auto* name = spec && spec->is_object() ? spec->as_object().if_contains("name") : nullptr;
    if (name && name->is_string()) return std::string(name->as_string());
  }
  return {};
}

std::string event_frame(std::string_view event_type, std::string_view payload) {
  return providers::encode_event_stream_message(
      {{":event-type", event_type}, {":content-type", "application/json"}, {":message-type", "event"}}, payload);
}

std::string exception_frame(std::string_view exception_type, std::string_view message) {
  const std::string payload = boost::json::serialize(boost::json::object{{"message", message}});
  return providers::encode_event_stream_message(
      {{":exception-type", exception_type}, {":content-type", "application/json"}, {":message-type", "exception"}}, payload);
}

std::string_view aws_error_code(unsigned status) {
  switch (status) {
    case 429: return "ThrottlingException";
    case 503: return "ServiceUnavailableException";
    case 500: return "InternalServerException";
    case 403: return "AccessDeniedException";
    case 404: return "ResourceNotFoundException";
    case 408: return "ModelTimeoutException";
    default: return status >= 500 ? "InternalServerException" : "ValidationException";
  }
}

}  // namespace switchyard::mock
