#include "upstream/http_poster.hpp"

#include <boost/beast/http/field.hpp>

#include <stdexcept>

#include "upstream/tls_context.hpp"
#include "upstream/upstream_exchange.hpp"

namespace switchyard::upstream {

namespace asio = boost::asio;
namespace {
constexpr std::size_t kMaxAnswerBody = 64 * 1024;
}

HttpPoster::HttpPoster(const asio::any_io_executor& ex, std::string_view url, std::vector<std::pair<std::string, std::string>> headers,
                       Millis timeout, std::string name)
    : name_(std::move(name)), timeout_(timeout) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) throw std::invalid_argument(name_ + ": not an http(s) URL");
  const auto path_at = url.find('/', scheme_end + 3);
  auto ep = parse_endpoint(url.substr(0, path_at));
  if (!ep) throw std::invalid_argument(name_ + ": " + ep.error().message);
  endpoint_ = std::move(*ep);
  const std::string path = path_at == std::string_view::npos ? std::string("/") : std::string(url.substr(path_at));
  head_ = "POST " + path + " HTTP/1.1\r\nHost: " + endpoint_.host_header + "\r\nUser-Agent: switchyard/0.1\r\n";
  for (const auto& [k, v] : headers) head_ += k + ": " + v + "\r\n";  // checked when the config was read
  ProviderConfig host;  // the system's CA bundle, verified
  if (endpoint_.tls) tls_ = make_client_tls_context(host);
  PoolConfig pool;
  pool.max_connections = 2;
  pool_ = std::make_unique<ConnectionPool>(ex, endpoint_, name_, pool, std::min<Millis>(timeout_, Millis(5'000)), tls_.get());
}

HttpPoster::~HttpPoster() { close(); }

void HttpPoster::close() noexcept {
  if (pool_) pool_->close();
}

asio::awaitable<result<PostAnswer>> HttpPoster::post(std::string_view body, std::string_view content_type) {
  std::string head = "Content-Type: ";
  head += content_type;
  head += "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  UpstreamExchange ex(*pool_, ExchangeTimeouts{timeout_, timeout_}, name_);
  const UpstreamExchange::RequestBuffers req{asio::buffer(head_), asio::buffer(head), asio::buffer(body.data(), body.size())};
  if (auto started = co_await ex.start(req); !started) co_return make_error(errc::unavailable, name_ + ": " + started.error().message);
  PostAnswer answer;
  answer.status = ex.status();
  if (auto it = ex.headers().find(boost::beast::http::field::retry_after); it != ex.headers().end()) answer.retry_after = std::string(it->value());
  auto read = co_await ex.read_all(kMaxAnswerBody);
  if (read) answer.body = std::move(*read);
  co_return answer;
}

}  // namespace switchyard::upstream
