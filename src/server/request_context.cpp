#include "server/request_context.hpp"

#include <boost/beast/http/verb.hpp>

namespace switchyard::server {

ResponseWriter::Meta RequestContext::meta(std::string_view overhead, std::string_view retry_after) const {
  ResponseWriter::Meta m{head.request_id, overhead, retry_after, head.keep_alive && !stopping && !outcome.close, head.version == 10,
                         head.method == boost::beast::http::verb::head};
  m.extra = headers.lines();
  return m;
}

boost::asio::awaitable<void> RequestContext::respond(unsigned status, std::string_view content_type, std::string_view body,
                                                    std::string_view retry_after) {
  outcome.status = status;
  const auto m = meta({}, retry_after);
  if (!m.keep_alive) outcome.close = true;
  if (!co_await send(writer.complete(status, content_type, body, m))) outcome.close = true;
}

boost::asio::awaitable<void> RequestContext::respond_mapped(const error::HttpError& mapped) {
  co_await respond(static_cast<unsigned>(mapped.status), "application/json", mapped.body, mapped.retry_after);
}

boost::asio::awaitable<void> RequestContext::respond_error(Error e) {
  const auto mapped = shaped_error(e, shape);
  co_await respond_mapped(mapped);
}

}  // namespace switchyard::server
