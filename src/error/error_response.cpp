#include "error/error_response.hpp"

#include <boost/json.hpp>

namespace switchyard::error {
namespace {

struct Shape {
  int status;
  const char* type;
  const char* code;
};

Shape shape_of(const Error& e) {
  switch (e.code) {
    case errc::invalid_request: return {400, "invalid_request_error", "invalid_request"};
    case errc::invalid_config: return {400, "invalid_request_error", "invalid_config"};
    case errc::invalid_json: return {400, "invalid_request_error", "invalid_json"};
    case errc::body_too_large: return {413, "invalid_request_error", "request_too_large"};
    case errc::headers_too_large: return {431, "invalid_request_error", "headers_too_large"};
    case errc::unsupported_encoding: return {501, "invalid_request_error", "unsupported_transfer_encoding"};
    case errc::missing_key: return {401, "authentication_error", "missing_api_key"};
    case errc::invalid_key: return {401, "authentication_error", "invalid_api_key"};
    case errc::model_not_allowed: return {403, "permission_error", "model_not_allowed"};
    case errc::unknown_model: return {404, "invalid_request_error", "model_not_found"};
    case errc::model_not_supported: return {400, "invalid_request_error", "model_not_supported"};
    case errc::not_found: return {404, "invalid_request_error", "not_found"};
    case errc::method_not_allowed: return {405, "invalid_request_error", "method_not_allowed"};
    case errc::upstream_connect: return {502, "upstream_error", "upstream_connect_failed"};
    case errc::upstream_tls: return {502, "upstream_error", "upstream_tls_failed"};
    case errc::upstream_reset: return {502, "upstream_error", "upstream_connection_reset"};
    case errc::upstream_bad_response: return {502, "upstream_error", "upstream_bad_response"};
    case errc::upstream_timeout: return {504, "upstream_error", "upstream_timeout"};
    case errc::connect_timeout: return {504, "upstream_error", "upstream_connect_timeout"};
    case errc::header_timeout: return {504, "upstream_error", "upstream_header_timeout"};
    case errc::stall_timeout: return {504, "upstream_error", "upstream_stalled"};
    case errc::first_token_timeout: return {504, "upstream_error", "first_token_timeout"};
    case errc::shutting_down: return {503, "server_error", "gateway_shutting_down"};
    case errc::pool_exhausted: return {503, "upstream_error", "upstream_pool_exhausted"};
    case errc::no_target: return {503, "upstream_error", "no_target_available"};
    case errc::overloaded: return {503, "server_error", "gateway_overloaded"};
    case errc::rate_limited: return {429, "rate_limit_error", "rate_limit_exceeded"};
    case errc::budget_exceeded: return {429, "insufficient_quota", "budget_exceeded"};
    case errc::quota_exhausted: return {429, "rate_limit_error", "quota_exhausted"};
    case errc::invalid_field: return {400, "invalid_request_error", "invalid_request_error"};
    case errc::conflict: return {409, "invalid_request_error", "conflict"};
    case errc::forbidden: return {403, "permission_error", "forbidden"};
    case errc::unavailable: return {503, "server_error", "unavailable"};
    case errc::cancelled: return {499, "cancelled", "client_closed_request"};
    case errc::upstream_status: {
      // An upstream 4xx is the caller's problem and goes back as it was
      // (429 included, so clients back off); an upstream 5xx is a bad gateway.
      const int s = e.upstream_status;
      // The provider refusing the gateway's own credentials is not the
      // client's fault: its Switchyard key was fine.
      if (s == 401 || s == 403) return {502, "upstream_error", "upstream_auth_failed"};
      if (s >= 400 && s < 500) return {s, "upstream_error", "upstream_client_error"};
      if (s == 503 || s == 529) return {503, "upstream_error", "upstream_unavailable"};
      return {502, "upstream_error", "upstream_server_error"};
    }
    case errc::ok:
    case errc::internal: break;
  }
  return {500, "internal_error", "internal_error"};
}

std::string full_message(const Error& e) {
  std::string m;
  if (!e.provider.empty()) {
    m += "provider '" + e.provider + "': ";
  }
  m += e.message.empty() ? std::string(to_string(e.code)) : e.message;
  return m;
}

boost::json::object build_error_object(const Error& e, const Shape& s) {
  // An upstream 4xx that sent its own OpenAI-shaped error keeps its type,
  // code and param, so SDKs see what the provider said.
  if (e.code == errc::upstream_status && s.status == e.upstream_status &&
      !e.upstream_error.empty()) {
    boost::system::error_code ec;
    auto v = boost::json::parse(e.upstream_error, ec);
    if (!ec && v.is_object()) {
      auto obj = v.as_object();
      obj["message"] = full_message(e);
      if (!obj.contains("type")) obj["type"] = s.type;
      if (!obj.contains("code")) obj["code"] = s.code;
      if (!obj.contains("param")) obj["param"] = nullptr;
      return obj;
    }
  }
  boost::json::object obj;
  obj["message"] = full_message(e);
  obj["type"] = s.type;
  obj["param"] = nullptr;
  obj["code"] = s.code;
  if (!e.level.empty()) obj["level"] = e.level;  // which of key, team, end user refused
  return obj;
}

}  // namespace

int http_status_of(const Error& e) noexcept { return shape_of(e).status; }

const char* code_name(const Error& e) noexcept { return shape_of(e).code; }

HttpError to_http_error(const Error& e) {
  const Shape s = shape_of(e);
  boost::json::object root;
  root["error"] = build_error_object(e, s);
  HttpError out;
  out.status = s.status;
  out.body = boost::json::serialize(root);
  out.retry_after = e.retry_after;
  return out;
}

std::string error_object_json(const Error& e) {
  boost::json::object root;
  root["error"] = build_error_object(e, shape_of(e));
  return boost::json::serialize(root);
}

}  // namespace switchyard::error
