#include "server/http_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_suffix.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <boost/json/monotonic_resource.hpp>

#include <chrono>

#include <sys/resource.h>

#include <openssl/crypto.h>
#include <random>

#include "error/error_response.hpp"
#include "providers/anthropic_inbound.hpp"
#include "server/request_head.hpp"
#include "server/request_json_parser.hpp"
#include "server/response_writer.hpp"

namespace switchyard::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;
constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);
using Clock = std::chrono::steady_clock;

struct HttpServer::Session {
  beast::tcp_stream* stream = nullptr;
  bool busy = false;
};

namespace {

std::uint64_t random_seed() {
  std::random_device rd;
  return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
}

// Client-supplied text for the log: bounded, no control characters (no log injection).
std::string loggable(std::string_view text) {
  std::string out(text.substr(0, 200));
  for (auto& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return out;
}

// What one request produced, for the access log.
struct Outcome {
  unsigned status = 0;
  std::string model;
  std::string provider;
  std::string note;    // why it ended early, for the log (client_write_failed, stream_broken)
  bool close = false;  // connection must close after this request
};

// One access-log line: client-supplied fields made loggable, never a key or a body.
std::string access_log_line(const RequestHead& head, const Outcome& outcome, Clock::duration took) {
  std::string line = "request method=";
  line += loggable(head.method_text);
  line += " path=";
  line += loggable(head.path());
  line += " status=" + std::to_string(outcome.status);
  if (!outcome.model.empty()) line += " model=" + outcome.model;
  if (!outcome.provider.empty()) line += " provider=" + outcome.provider;
  if (!outcome.note.empty()) line += " error=" + outcome.note;
  line += " duration_us=" + std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(took).count());
  line += " request_id=" + head.request_id;
  return line;
}

// Watches a client connection while its request is upstream. When the client
// closes it, the session's cancellation signal fires, which cancels whatever
// the session coroutine is awaiting (the upstream read), at once. One plain
// wait per request; no extra coroutine.
class ClientWatch {
 public:
  ClientWatch(beast::tcp_stream& stream, std::shared_ptr<asio::cancellation_signal> cancel)
      : stream_(stream), cancel_(std::move(cancel)) {}

  void arm() {
    state_ = std::make_shared<State>();
    stream_.socket().async_wait(tcp::socket::wait_read,
                                [state = state_, cancel = cancel_, sock = &stream_.socket()](boost::system::error_code ec) {
                                  if (state->disarmed || ec == asio::error::operation_aborted) return;
                                  boost::system::error_code aec;
                                  if (!ec && sock->available(aec) > 0 && !aec) return;  // pipelined bytes, not a close
                                  state->gone = true;
                                  cancel->emit(asio::cancellation_type::terminal);
                                });
  }

  // Stops watching; true when the client went away meanwhile.
  bool disarm() {
    state_->disarmed = true;
    boost::system::error_code ignored;
    if (!state_->gone) stream_.socket().cancel(ignored);
    return state_->gone;
  }

 private:
  struct State {
    bool disarmed = false;
    bool gone = false;
  };
  beast::tcp_stream& stream_;
  std::shared_ptr<asio::cancellation_signal> cancel_;
  std::shared_ptr<State> state_;
};

// How a chat answer is written for one client API. The router always
// speaks OpenAI chat completions; a dialect frames errors, complete answers
// and stream pieces for the API the client called.
class ChatDialect {
 public:
  using Buffers = std::array<asio::const_buffer, 5>;
  virtual ~ChatDialect() = default;
  virtual error::HttpError error(const Error& e) const = 0;
  virtual result<std::string> complete(std::string openai_body) = 0;
  // One HTTP chunk's buffers for a chunk (nullptr: nothing to send), the clean end, a break.
  virtual const Buffers* chunk(std::string_view openai_chunk, ResponseWriter& w) = 0;
  virtual const Buffers& end(ResponseWriter& w) = 0;
  virtual const Buffers& broken(const Error& e, ResponseWriter& w) = 0;
  // Set when a chunk could not be written in this API: the buffers chunk()
  // returned carry the error event, and the stream ends after them.
  virtual const Error* failure() const { return nullptr; }
};

// OpenAI's own API: answers pass through; chunks are framed as `data:` events
// without copying; the end is `data: [DONE]`.
class OpenAiDialect final : public ChatDialect {
 public:
  error::HttpError error(const Error& e) const override { return error::to_http_error(e); }
  result<std::string> complete(std::string body) override { return body; }
  const Buffers* chunk(std::string_view c, ResponseWriter& w) override { return &w.sse_chunk(c); }
  const Buffers& end(ResponseWriter& w) override { return w.sse_chunk("[DONE]"); }
  const Buffers& broken(const Error& e, ResponseWriter& w) override {
    scratch_ = error::error_object_json(e);
    return w.sse_chunk(scratch_);
  }

 private:
  std::string scratch_;
};

// Anthropic's Messages API (POST /v1/messages).
class AnthropicDialect final : public ChatDialect {
 public:
  explicit AnthropicDialect(std::string model) : model_(model), stream_(std::move(model)) {}
  static error::HttpError error_of(const Error& e) {
    auto mapped = error::to_http_error(e);
    mapped.body = providers::anthropic_error_body(mapped.status, e.provider.empty() ? e.message : "provider '" + e.provider + "': " + e.message);
    return mapped;
  }
  error::HttpError error(const Error& e) const override { return error_of(e); }
  result<std::string> complete(std::string body) override { return providers::openai_response_to_anthropic(body, model_); }
  const Buffers* chunk(std::string_view c, ResponseWriter& w) override {
    frames_.clear();
    if (auto ok = stream_.on_chunk(c, frames_); !ok) {
      failure_ = ok.error();
      providers::OpenAiToAnthropicStream::on_error(*failure_, frames_);
    }
    return frames_.empty() ? nullptr : &w.raw_chunk(frames_);
  }
  const Error* failure() const override { return failure_ ? &*failure_ : nullptr; }
  const Buffers& end(ResponseWriter& w) override {
    frames_.clear();
    stream_.on_end(frames_);
    return w.raw_chunk(frames_);
  }
  const Buffers& broken(const Error& e, ResponseWriter& w) override {
    frames_.clear();
    providers::OpenAiToAnthropicStream::on_error(e, frames_);
    return w.raw_chunk(frames_);
  }

 private:
  std::string model_;
  providers::OpenAiToAnthropicStream stream_;
  std::string frames_;
  std::optional<Error> failure_;
};

}  // namespace

std::string HttpServer::models_json() const {
  boost::json::array data;
  for (const auto& name : gateway_.model_names()) {
    data.push_back(boost::json::object{{"id", name}, {"object", "model"}, {"created", 0}, {"owned_by", "switchyard"}});
  }
  return boost::json::serialize(boost::json::object{{"object", "list"}, {"data", std::move(data)}});
}

// "degraded" when a configured route has no usable target (all circuits open or rate-limited).
std::string HttpServer::health_json() const {
  boost::json::object body;
  const auto unhealthy = gateway_.unhealthy_routes();
  body["status"] = stopping_ ? "stopping" : unhealthy.empty() ? "ok" : "degraded";
  if (!unhealthy.empty()) {
    boost::json::array routes;
    for (const auto& r : unhealthy) routes.emplace_back(r);
    body["routes_without_healthy_target"] = std::move(routes);
  }
  return boost::json::serialize(body);
}

std::string HttpServer::providers_json() const {
  boost::json::array targets;
  for (const auto& t : gateway_.target_health()) {
    targets.push_back(boost::json::object{{"provider", t.provider},
                                          {"model", t.model},
                                          {"score", t.score},
                                          {"circuit", t.circuit},
                                          {"requests_10s", t.requests},
                                          {"errors_10s", t.errors},
                                          {"ewma_latency_ms", t.ewma_latency_ms},
                                          {"ewma_ttft_ms", t.ewma_ttft_ms},
                                          {"consecutive_failures", t.consecutive_failures},
                                          {"in_flight", t.in_flight},
                                          {"rate_limited", t.rate_limited}});
  }
  boost::json::array pools;
  for (const auto& p : gateway_.provider_stats()) {
    pools.push_back(boost::json::object{{"provider", p.provider},
                                        {"connections_opened", p.connections_opened},
                                        {"connections_reused", p.connections_reused},
                                        {"connections_idle", p.connections_idle},
                                        {"connections_active", p.connections_active}});
  }
  const auto c = gateway_.routing_counters();
  boost::json::object counters{{"requests", c.requests},   {"attempts", c.attempts},
                               {"retries", c.retries},     {"failovers", c.failovers},
                               {"ttft_timeouts", c.ttft_timeouts}, {"stream_breaks", c.stream_breaks},
                               {"hedges", c.hedges},       {"resumes", c.resumes}};
  return boost::json::serialize(boost::json::object{{"targets", std::move(targets)}, {"pools", std::move(pools)}, {"routing", std::move(counters)}});
}

HttpServer::HttpServer(asio::any_io_executor ex, Gateway& gateway, observability::Logger& log)
    : ex_(ex), gateway_(gateway), config_(gateway.config().server), log_(log), acceptor_(ex), drained_(ex), accept_backoff_(ex),
      ids_(random_seed()), parse_budget_(config_.max_json_memory_bytes), header_budget_(config_.max_header_memory_bytes) {
  max_connections_ = config_.max_connections;
}

std::size_t HttpServer::fit_connections_to_fd_limit() {
  // Each proxied request holds two descriptors (client and upstream), plus a
  // few for the process itself. Raise the soft limit to the hard one, and if
  // that is still too low, accept fewer connections rather than spin on EMFILE.
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return config_.max_connections;
  if (lim.rlim_cur < lim.rlim_max) {
    rlimit raised = lim;
    raised.rlim_cur = lim.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) lim = raised;
  }
  constexpr rlim_t kReserved = 64;
  if (lim.rlim_cur == RLIM_INFINITY) return config_.max_connections;
  const std::size_t fit = lim.rlim_cur > kReserved * 2 ? static_cast<std::size_t>((lim.rlim_cur - kReserved) / 2) : 16;
  if (fit < config_.max_connections) {
    log_.warn("max_connections lowered from " + std::to_string(config_.max_connections) + " to " + std::to_string(fit) +
              ": the open-file limit (ulimit -n) is " + std::to_string(lim.rlim_cur) + " and each proxied request needs two descriptors");
    return fit;
  }
  return config_.max_connections;
}

std::uint16_t HttpServer::listen() {
  max_connections_ = fit_connections_to_fd_limit();
  const auto address = asio::ip::make_address(config_.host);
  const tcp::endpoint ep(address, config_.port);
  acceptor_.open(ep.protocol());
  acceptor_.set_option(tcp::acceptor::reuse_address(true));
  acceptor_.bind(ep);
  acceptor_.listen(asio::socket_base::max_listen_connections);
  return acceptor_.local_endpoint().port();
}

asio::awaitable<void> HttpServer::run() {
  while (!stopping_) {
    auto [ec, sock] = co_await acceptor_.async_accept(use_nothrow);
    if (ec) {
      if (stopping_ || ec == asio::error::operation_aborted) break;
      // Out of descriptors (EMFILE/ENFILE) or memory: the pending connection
      // stays in the backlog and accept would fail again at once. Keep serving
      // the connections we have, retry after a pause, log once a second at most.
      const auto now = Clock::now();
      ++accept_failures_;
      if (now - last_accept_log_ >= std::chrono::seconds(1)) {
        log_.warn("accept failed: " + ec.message() + " (" + std::to_string(accept_failures_) + " times since the last report)");
        last_accept_log_ = now;
        accept_failures_ = 0;
      }
      accept_backoff_.expires_after(std::chrono::milliseconds(50));
      co_await accept_backoff_.async_wait(use_nothrow);
      continue;
    }
    if (sessions_.size() >= max_connections_) {
      boost::system::error_code ignored;
      sock.close(ignored);
      continue;
    }
    // Exceptions are bugs: log them at the session boundary; the connection closes.
    auto cancel = std::make_shared<asio::cancellation_signal>();
    asio::co_spawn(ex_, session(std::move(sock), cancel), asio::bind_cancellation_slot(cancel->slot(), [this, cancel](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        log_.error(std::string("connection ended by an internal error: ") + ex.what());
      }
    }));
  }
}

void HttpServer::stop() {
  stopping_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  accept_backoff_.cancel();
  for (auto* s : sessions_) {
    if (!s->busy) s->stream->socket().cancel(ignored);
  }
  if (sessions_.empty()) drained_.cancel();
}

asio::awaitable<bool> HttpServer::drain(Millis grace) {
  if (sessions_.empty()) co_return true;
  drained_.expires_after(grace);
  co_await drained_.async_wait(use_nothrow);
  co_return sessions_.empty();
}

namespace {

Endpoint endpoint_of(std::string_view path) {
  if (path == "/v1/chat/completions" || path == "/chat/completions") return Endpoint::chat;
  if (path == "/v1/messages" || path == "/messages") return Endpoint::messages;
  if (path == "/v1/models" || path == "/models") return Endpoint::models;
  if (path == "/v1/providers") return Endpoint::providers;
  if (path == "/health") return Endpoint::health;
  if (path == "/metrics") return Endpoint::metrics;
  return Endpoint::unknown;
}

// The first read of a request takes at most this much; the buffer grows only
// while a request needs it (headers up to max_header_bytes, body pieces).
constexpr std::size_t kFirstRead = 1024;
// A request head up to this size is read in the connection's own buffer;
// a larger one (up to max_header_bytes) takes its extra room from the
// server's shared header budget, so idle or slow clients with no key cannot
// together hold more than that budget.
constexpr std::size_t kOwnHeadRoom = 2048;

// Writes buffers to the client; false when the client is gone. Most writes
// fit in the socket's send buffer: they go out at once (the socket is
// non-blocking), with no async operation and no timer to arm and cancel;
// only what does not fit is awaited, within the write timeout.
template <class Buffers>
asio::awaitable<bool> send_to(beast::tcp_stream& stream, const Buffers& buffers, Millis write_timeout) {
  boost::system::error_code ec;
  const std::size_t written = asio::write(stream.socket(), buffers, ec);
  if (!ec) co_return true;
  if (ec != asio::error::would_block && ec != asio::error::try_again) co_return false;
  beast::buffers_suffix<Buffers> rest(buffers);
  rest.consume(written);
  stream.expires_after(write_timeout);
  auto [wec, n] = co_await asio::async_write(stream, rest, use_nothrow);
  co_return !wec;
}

}  // namespace

// What a client connection keeps between requests. The session coroutine
// that owns it stays small while the connection is idle; everything a
// request needs lives in serve_request's frame, made per request (an idle
// keep-alive connection costs a few KiB, not the ~8 KiB of a request's state).
struct HttpServer::Connection {
  Connection(tcp::socket socket, std::shared_ptr<asio::cancellation_signal> cancel, std::size_t cap)
      : stream(std::move(socket)), watch(stream, std::move(cancel)), buffer(cap), buffer_cap(cap) {}
  beast::tcp_stream stream;
  ClientWatch watch;
  beast::flat_buffer buffer;
  ResponseWriter writer;
  std::size_t buffer_cap;
  bool linger = false;  // close with a lingering close (the request's body was not read)
};

asio::awaitable<void> HttpServer::session(tcp::socket socket, std::shared_ptr<asio::cancellation_signal> cancel) {
  // A client leaving cancels the awaited operation; it must come back as an
  // error value, not an exception.
  co_await asio::this_coro::throw_if_cancelled(false);
  // Every byte read from the client passes through the connection's buffer;
  // it may hold a header block (max_header_bytes) plus one read, never more,
  // so a chunk extension or trailer that never ends is an error, not a
  // growing buffer.
  Connection conn(std::move(socket), std::move(cancel), config_.max_header_bytes + 16 * 1024);
  auto& stream = conn.stream;
  auto& buffer = conn.buffer;
  Session self{&stream};
  auto entry = sessions_.insert(sessions_.end(), &self);
  struct Unregister {
    HttpServer& server;
    std::list<Session*>::iterator it;
    ~Unregister() {
      server.sessions_.erase(it);
      if (server.stopping_ && server.sessions_.empty()) server.drained_.cancel();
    }
  } unregister{*this, entry};

  boost::system::error_code ignored;
  stream.socket().set_option(tcp::no_delay(true), ignored);
  stream.socket().non_blocking(true, ignored);  // writes go out at once (send_to)

  // After an answer sent without reading the request's body (no key, a
  // refused framing, ...): stop sending, then read and drop what the client
  // still sends for a moment, so its TCP stack does not turn our answer into
  // a reset. Bounded in bytes and time.
  auto linger_close = [&]() -> asio::awaitable<void> {
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    std::array<char, 1024> sink;
    std::size_t dropped = 0;
    stream.expires_after(std::chrono::milliseconds(1000));
    while (dropped < 1024 * 1024) {
      auto [ec, n] = co_await stream.async_read_some(asio::buffer(sink), use_nothrow);
      if (ec) break;
      dropped += n;
    }
  };

  for (;;) {
    // Keep-alive: wait for the first byte of the next request. An idle
    // connection holds no more than a small buffer.
    if (buffer.size() == 0) {
      self.busy = false;
      if (stopping_) break;
      if (buffer.capacity() > kOwnHeadRoom) buffer = beast::flat_buffer(conn.buffer_cap);
      stream.expires_after(config_.idle_timeout);
      auto [ec, n] = co_await stream.async_read_some(buffer.prepare(kFirstRead), use_nothrow);
      if (ec) break;
      buffer.commit(n);
    }
    self.busy = true;
    // The head is read here, in the connection's small frame: a client that
    // sends part of a head and stalls holds its buffer and no more; the
    // request's own state is made only once a whole head arrived.
    const auto started = Clock::now();

    // The whole request (headers and body) must arrive within request_timeout.
    stream.expires_after(config_.request_timeout);
    RequestParser parser;
    parser.header_limit(static_cast<std::uint32_t>(config_.max_header_bytes));
    // The body limit is set once the key was checked: a client with no key
    // gets 401, not a hint about sizes. (No body byte is read before that.)
    parser.body_limit(boost::none);
    MemoryBudget::Reservation head_room(header_budget_);
    std::size_t room = std::max(kOwnHeadRoom, buffer.size());
    buffer.max_size(room);
    bool head_budget_spent = false;
    boost::system::error_code hec;
    for (;;) {
      auto [ec, n] = co_await http::async_read_header(stream, buffer, parser, use_nothrow);
      hec = ec;
      if (hec != http::error::buffer_overflow || room >= conn.buffer_cap) break;
      // A head larger than the connection's own room: more from the shared budget.
      const std::size_t more = std::min(conn.buffer_cap, room * 2) - room;
      if (!head_room.grow(more)) {
        head_budget_spent = true;
        break;
      }
      room += more;
      buffer.max_size(room);
    }
    buffer.max_size(conn.buffer_cap);
    if (head_budget_spent) {
      // Answered from here, without a request's state: under a flood of
      // large heads, each refused one costs no more than its buffer.
      Error busy = make_error(errc::overloaded, "too many large request heads are being read at once; retry shortly");
      busy.retry_after = "1";
      const auto mapped = error::to_http_error(busy);
      const std::string id = ids_.next();
      co_await send_to(stream, conn.writer.json(static_cast<unsigned>(mapped.status), mapped.body, ResponseWriter::Meta{id, {}, mapped.retry_after, false, false, false}),
                       config_.write_timeout);
      if (config_.access_log) log_.info("request rejected status=503 request_id=" + id);
      break;
    }
    if (!co_await serve_request(conn, parser, hec, started)) break;
  }
  if (conn.linger) {
    co_await linger_close();
  } else {
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }
  stream.socket().close(ignored);
}

// Whether the request may go on, decided from its head alone (before any
// body byte is read): endpoint, method, the key (a client key, or the admin
// key for /v1/providers) and the declared body size. Sets `key` when a client key was accepted.
std::optional<Error> HttpServer::check_access(const RequestHead& head, Endpoint endpoint, std::uint64_t content_length,
                                              const auth::KeyEntry*& key) const {
  const std::string_view path = head.path();
  const bool post_endpoint = endpoint == Endpoint::chat || endpoint == Endpoint::messages;
  std::optional<Error> refusal;
  if (post_endpoint && head.method != http::verb::post) {
    refusal = make_error(errc::method_not_allowed, endpoint == Endpoint::chat ? "use POST for chat completions" : "use POST for messages");
  } else if (post_endpoint || endpoint == Endpoint::models) {
    auto auth = gateway_.authenticate(head.authorization);
    if (!auth) refusal = auth.error();
    else key = *auth;
  } else if (endpoint == Endpoint::providers) {
    const auto& admin = gateway_.config().server.admin_key;
    std::string_view presented = head.authorization;
    if (presented.size() > 7 && beast::iequals(presented.substr(0, 7), "Bearer ")) presented.remove_prefix(7);
    if (admin.empty()) {
      refusal = make_error(errc::not_found, "set [server] admin_key to enable /v1/providers");
    } else if (presented.size() != admin.size() || CRYPTO_memcmp(presented.data(), admin.data(), admin.size()) != 0) {
      refusal = make_error(errc::invalid_key, "the admin key is required for /v1/providers");
    }
  } else if (endpoint == Endpoint::unknown) {
    refusal = make_error(errc::not_found, "no route for " + loggable(path));
  }
  if (!refusal && !post_endpoint && head.has_body) {
    refusal = make_error(errc::invalid_request, "this endpoint takes no request body");
  }
  if (!refusal && content_length > config_.max_body_bytes) {
    refusal = make_error(errc::body_too_large, "request body larger than " + std::to_string(config_.max_body_bytes) + " bytes");
  }
  return refusal;
}

asio::awaitable<bool> HttpServer::serve_request(Connection& c, RequestParser& parser, boost::system::error_code hec,
                                                 Clock::time_point started) {
  auto& stream = c.stream;
  auto& buffer = c.buffer;
  auto& writer = c.writer;
  auto& watch = c.watch;
  const std::size_t buffer_cap = c.buffer_cap;
  bool& linger = c.linger;
  auto send = [&](const auto& buffers) { return send_to(stream, buffers, config_.write_timeout); };

  Outcome outcome;
  RequestHead head;
  if (parser.is_header_done()) {
    head = read_request_head(parser.get().base(), parser.keep_alive(), parser.chunked(), parser.content_length().value_or(0));
  }
  if (head.request_id.empty()) head.request_id = ids_.next();
  const std::string& request_id = head.request_id;
  const bool head_only = head.method == http::verb::head;

  auto meta = [&](std::string_view overhead = {}, std::string_view retry_after = {}) {
    return ResponseWriter::Meta{request_id, overhead, retry_after, head.keep_alive && !stopping_ && !outcome.close, head.version == 10,
                                head_only};
  };
  auto respond_json = [&](unsigned status, std::string_view body, ResponseWriter::Meta m) -> asio::awaitable<void> {
    outcome.status = status;
    if (!m.keep_alive) outcome.close = true;
    if (!co_await send(writer.json(status, body, m))) outcome.close = true;
  };
  auto respond_text = [&](unsigned status, std::string_view body, ResponseWriter::Meta m) -> asio::awaitable<void> {
    outcome.status = status;
    if (!m.keep_alive) outcome.close = true;
    if (!co_await send(writer.text(status, body, m))) outcome.close = true;
  };
  // Errors in the shape of the client's API (Anthropic's for /v1/messages).
  const Endpoint endpoint = parser.is_header_done() ? endpoint_of(head.path()) : Endpoint::unknown;
  auto respond_error = [&](const Error& e) -> asio::awaitable<void> {
    auto mapped = endpoint == Endpoint::messages ? AnthropicDialect::error_of(e) : error::to_http_error(e);
    co_await respond_json(static_cast<unsigned>(mapped.status), mapped.body, meta({}, mapped.retry_after));
  };
  // An answer given before the body was read: the connection closes after it.
  auto refuse = [&](const Error& e) -> asio::awaitable<void> {
    outcome.close = true;
    linger = true;
    co_await respond_error(e);
  };
  auto log_rejected = [&](unsigned status) {
    if (config_.access_log) log_.info("request rejected status=" + std::to_string(status) + " request_id=" + request_id);
  };

  if (hec) {
    // Malformed or oversized headers get an answer, then the connection
    // closes (the rest of what the client sends is not read).
    if (hec == http::error::header_limit || hec == http::error::buffer_overflow) {
      co_await refuse(make_error(errc::headers_too_large, "request headers larger than " + std::to_string(config_.max_header_bytes) + " bytes"));
      log_rejected(outcome.status);
    } else if (hec.category() == http::make_error_code(http::error::end_of_stream).category() &&
               hec != http::error::end_of_stream && hec != http::error::partial_message) {
      co_await refuse(make_error(errc::invalid_request, "malformed HTTP request: " + hec.message()));
      log_rejected(outcome.status);
    }
    co_return false;  // (else: timeout, reset or EOF: nobody to answer)
  }
  if (auto bad = check_framing(parser.get().base())) {
    co_await refuse(make_error(bad->status == 501 ? errc::unsupported_encoding : errc::invalid_request, std::string(bad->message)));
    log_rejected(outcome.status);
    co_return false;
  }

  // Everything below is decided from the head alone: the endpoint, the
  // method and the key are checked before a byte of the body is read.
  const bool post_endpoint = endpoint == Endpoint::chat || endpoint == Endpoint::messages;
  const auth::KeyEntry* key = nullptr;
  const std::optional<Error> refusal = check_access(head, endpoint, parser.content_length().value_or(0), key);
  if (refusal) {
    if (head.has_body || !parser.is_done()) {
      co_await refuse(*refusal);
    } else {
      co_await respond_error(*refusal);
    }
  }

  // The body, for an accepted POST: within the body limit and the request timeout.
  if (!refusal && post_endpoint && !parser.is_done()) {
    parser.body_limit(config_.max_body_bytes);
    // The whole body goes into one string: sized once when its length is known.
    if (const auto length = parser.content_length()) parser.get().body().reserve(static_cast<std::size_t>(*length));
    if (head.expect_continue) {
      if (!co_await send(asio::buffer(std::string_view("HTTP/1.1 100 Continue\r\n\r\n")))) co_return false;
      stream.expires_after(config_.request_timeout);
    }
    auto [bec, bn] = co_await http::async_read(stream, buffer, parser, use_nothrow);
    if (bec) {
      if (bec == http::error::body_limit) {
        co_await refuse(make_error(errc::body_too_large, "request body larger than " + std::to_string(config_.max_body_bytes) + " bytes"));
      } else if (bec == http::error::buffer_overflow) {
        co_await refuse(make_error(errc::invalid_request, "malformed HTTP request: a chunk header or trailer longer than " +
                                                              std::to_string(buffer_cap) + " bytes"));
      } else if (bec.category() == http::make_error_code(http::error::end_of_stream).category() &&
                 bec != http::error::end_of_stream && bec != http::error::partial_message) {
        co_await refuse(make_error(errc::invalid_request, "malformed HTTP request: " + bec.message()));
      } else {
        co_return false;  // timeout, reset or EOF: nobody to answer
      }
      log_rejected(outcome.status);
      co_return false;
    }
  }

  const auto request_read = Clock::now();
  // Time spent in the gateway itself, not waiting on the provider.
  auto overhead_us = [&](std::chrono::nanoseconds upstream) {
    const auto inside = std::max<Clock::duration>(Clock::duration::zero(), Clock::now() - request_read - upstream);
    gateway_.record_overhead(inside);
    return std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(inside).count());
  };

  // One answer, non-streamed or relayed chunk by chunk, written in the
  // client's API (dialect). A client that leaves cancels the upstream.
  auto serve_chat = [&](ChatRequest chat_request, bool streaming, ChatDialect& dialect) -> asio::awaitable<void> {
    auto respond_dialect_error = [&](const Error& e) -> asio::awaitable<void> {
      const auto mapped = dialect.error(e);
      co_await respond_json(static_cast<unsigned>(mapped.status), mapped.body, meta({}, mapped.retry_after));
    };
    if (!streaming) {
      watch.arm();
      auto r = co_await gateway_.chat(std::move(chat_request));
      if (watch.disarm()) {
        outcome.status = 499;
        outcome.close = true;
      } else if (!r) {
        co_await respond_dialect_error(r.error());
      } else if (auto body = dialect.complete(std::move(r->body)); !body) {
        co_await respond_dialect_error(body.error());
      } else {
        outcome.provider = r->provider;
        co_await respond_json(200, *body, meta(overhead_us(r->upstream_time)));
      }
      co_return;
    }
    auto relay = [&]() -> asio::awaitable<void> {
      auto opened = co_await gateway_.chat_stream(std::move(chat_request));
      if (!opened) {
        co_await respond_dialect_error(opened.error());
        co_return;
      }
      ChatStream& chat_stream = *opened;
      outcome.provider = chat_stream.provider();
      outcome.status = 200;
      const std::string overhead = overhead_us(chat_stream.upstream_time());
      const auto m = meta(overhead);  // views `overhead`: keep it alive while m is used
      if (!m.keep_alive) outcome.close = true;
      // A client that stops reading (write timeout) or leaves mid-stream is
      // logged as 499, not as the 200 its head said.
      auto client_failed = [&] {
        outcome.close = true;
        outcome.status = 499;
        outcome.note = "client_write_failed";
      };
      if (!co_await send(writer.stream_head(m))) {
        client_failed();
        co_return;
      }
      for (;;) {
        auto chunk = co_await chat_stream.next();
        if (!chunk) {
          // Bytes already went out: end with the dialect's error event and
          // no clean end, so the client can't mistake a cut for an answer.
          if (co_await send(dialect.broken(chunk.error(), writer))) co_await send(ResponseWriter::last_chunk());
          outcome.close = true;
          outcome.note = "stream_broken";
          log_.warn("stream broken request_id=" + request_id + " " + chunk.error().message);
          co_return;
        }
        if (!*chunk) {
          if (!co_await send(dialect.end(writer)) || !co_await send(ResponseWriter::last_chunk())) client_failed();
          co_return;
        }
        if (const auto* buffers = dialect.chunk(**chunk, writer); buffers && !co_await send(*buffers)) {
          client_failed();
          co_return;
        }
        if (const Error* failed = dialect.failure()) {
          co_await send(ResponseWriter::last_chunk());
          outcome.close = true;
          outcome.note = "stream_broken";
          log_.warn("stream broken request_id=" + request_id + " provider '" + outcome.provider + "': " + failed->message);
          co_return;
        }
      }
    };
    watch.arm();
    co_await relay();
    if (watch.disarm()) {
      if (outcome.status == 0 || outcome.status == 200) outcome.status = 499;
      outcome.close = true;
    }
  };

  // Parsed JSON of this request: bounded, and freed when the request ends.
  RequestJsonParser json(&parse_budget_, config_.json_memory_factor);
  if (refusal) {
    // answered above
  } else if (endpoint == Endpoint::chat) {
    OpenAiDialect dialect;
    auto parsed = json.parse(parser.get().body());
    if (!parsed) {
      co_await respond_error(parsed.error());
    } else if (!parsed->is_object()) {
      co_await respond_error(make_error(errc::invalid_request, "the request body must be a JSON object"));
    } else {
      ChatRequest chat_request{std::move(parsed->as_object()), std::nullopt, request_id, key};
      if (auto* m = chat_request.body.if_contains("model"); m && m->is_string()) {
        outcome.model = loggable(m->as_string());
      }
      const auto* stream_flag = chat_request.body.if_contains("stream");
      const bool streaming = stream_flag && stream_flag->is_bool() && stream_flag->as_bool();
      co_await serve_chat(std::move(chat_request), streaming, dialect);
    }
  } else if (endpoint == Endpoint::messages) {
    // Anthropic's Messages API inbound: translated to a chat request for the
    // router, the answer translated back; errors in Anthropic's shape.
    auto parsed = json.parse(parser.get().body());
    if (!parsed) {
      co_await respond_error(parsed.error());
    } else if (!parsed->is_object()) {
      co_await respond_error(make_error(errc::invalid_json, "the request body is not a JSON object"));
    } else if (auto translated = providers::anthropic_request_to_openai(parsed->as_object()); !translated) {
      co_await respond_error(translated.error());
    } else {
      const std::string requested_model(translated->at("model").as_string());
      outcome.model = loggable(requested_model);
      const bool streaming = translated->contains("stream");
      AnthropicDialect dialect(requested_model);
      // A named request, not a temporary inside co_await: GCC 12 destroys such temporaries twice.
      ChatRequest chat_request{std::move(*translated), std::nullopt, request_id, key};
      co_await serve_chat(std::move(chat_request), streaming, dialect);
    }
  } else if (endpoint == Endpoint::models) {
    const auto body = models_json();
    co_await respond_json(200, body, meta());
  } else if (endpoint == Endpoint::health) {
    const auto body = health_json();
    co_await respond_json(200, body, meta());
  } else if (endpoint == Endpoint::metrics) {
    const auto text = gateway_.metrics_text();
    co_await respond_text(200, text, meta());
  } else if (endpoint == Endpoint::providers) {
    co_await respond_json(200, providers_json(), meta());
  }

  if (config_.access_log) log_.info(access_log_line(head, outcome, Clock::now() - started));
  co_return !(outcome.close || !head.keep_alive || stopping_);
}

}  // namespace switchyard::server
