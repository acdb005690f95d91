#include "server/openai_dialect.hpp"

namespace switchyard::server {

const ChatDialect::Buffers& OpenAiDialect::broken(const Error& e, ResponseWriter& w) {
  scratch_ = error::error_object_json(e);
  return w.sse_chunk(scratch_);
}

}  // namespace switchyard::server
