#include <switchyard/error.hpp>

#include <boost/throw_exception.hpp>

#include <stdexcept>

namespace switchyard {
namespace {
class Category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "switchyard"; }
  std::string message(int ev) const override { return std::string(to_string(static_cast<errc>(ev))); }
};
}  // namespace

const boost::system::error_category& switchyard_category() noexcept {
  static const Category category;  // stateless, constant: not a singleton of mutable state
  return category;
}

boost::system::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), switchyard_category()}; }

std::string_view to_string(errc e) noexcept {
  switch (e) {
    case errc::ok: return "ok";
    case errc::invalid_request: return "invalid request";
    case errc::invalid_config: return "invalid configuration";
    case errc::invalid_json: return "invalid JSON";
    case errc::body_too_large: return "request body too large";
    case errc::headers_too_large: return "request headers too large";
    case errc::unsupported_encoding: return "unsupported transfer coding";
    case errc::missing_key: return "missing API key";
    case errc::invalid_key: return "invalid API key";
    case errc::model_not_allowed: return "model not allowed for this key";
    case errc::unknown_model: return "unknown model";
    case errc::model_not_supported: return "no target of this model supports the request";
    case errc::not_found: return "not found";
    case errc::method_not_allowed: return "method not allowed";
    case errc::upstream_connect: return "could not connect to the provider";
    case errc::upstream_tls: return "TLS failure with the provider";
    case errc::upstream_reset: return "the provider closed the connection";
    case errc::upstream_bad_response: return "the provider sent an invalid response";
    case errc::upstream_status: return "the provider returned an error";
    case errc::upstream_timeout: return "the provider timed out";
    case errc::connect_timeout: return "connecting to the provider timed out";
    case errc::header_timeout: return "the provider sent no response headers in time";
    case errc::stall_timeout: return "the provider stalled between two pieces of its answer";
    case errc::first_token_timeout: return "the provider sent no first token in time";
    case errc::shutting_down: return "the gateway is shutting down";
    case errc::pool_exhausted: return "no upstream connection available";
    case errc::no_target: return "no provider available for this model";
    case errc::overloaded: return "the gateway is overloaded";
    case errc::rate_limited: return "rate limit exceeded";
    case errc::budget_exceeded: return "budget exceeded";
    case errc::quota_exhausted: return "provider quota exhausted";
    case errc::invalid_field: return "invalid field";
    case errc::conflict: return "conflict";
    case errc::forbidden: return "forbidden";
    case errc::unavailable: return "unavailable";
    case errc::cancelled: return "cancelled";
    case errc::internal: return "internal error";
  }
  return "unknown error";
}

void throw_exception_from_error(const Error& e, const boost::source_location& loc) {
  boost::throw_exception(std::runtime_error(std::string(to_string(e.code)) + ": " + e.message), loc);
}

Error make_error(errc code, std::string message, std::string provider) {
  Error e;
  e.code = code;
  e.message = std::move(message);
  e.provider = std::move(provider);
  return e;
}

}  // namespace switchyard
