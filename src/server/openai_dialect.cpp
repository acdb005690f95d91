#include "server/openai_dialect.hpp"

namespace switchyard::server {

void OpenAiDialect::broken(const Error& e, std::string& out) {
  ResponseWriter::append_sse(out, error::error_object_json(e));
}

}  // namespace switchyard::server
