#include "providers/gemini_inbound.hpp"
#include "server/chat_dialect.hpp"

#include "providers/anthropic_inbound.hpp"

namespace switchyard::server {

error::HttpError shaped_error(const Error& e, ErrorShape shape) {
  auto mapped = error::to_http_error(e);
  if (shape == ErrorShape::google) {
    mapped.body = providers::gemini_error_body(mapped.status, e.provider.empty() ? e.message : "provider '" + e.provider + "': " + e.message);
  }
  if (shape == ErrorShape::anthropic) {
    mapped.body = providers::anthropic_error_body(mapped.status, e.provider.empty() ? e.message : "provider '" + e.provider + "': " + e.message);
  }
  return mapped;
}

}  // namespace switchyard::server
