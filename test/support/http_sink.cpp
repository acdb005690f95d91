#include "support/http_sink.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <condition_variable>
#include <future>
#include <list>
#include <thread>

namespace switchyard::test {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

struct HttpSink::State {
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> guard{io.get_executor()};
  std::unique_ptr<tcp::acceptor> acceptor;
  std::list<std::shared_ptr<tcp::socket>> sockets;  // the io thread's
  std::thread thread;
  mutable std::mutex mu;
  std::condition_variable changed;
  std::vector<SinkRequest> got;
  unsigned status = 200;
  std::deque<unsigned> next;
  std::uint16_t port = 0;

  unsigned answer_status() {
    std::lock_guard lock(mu);
    if (next.empty()) return status;
    const unsigned s = next.front();
    next.pop_front();
    return s;
  }
  void record(SinkRequest r) {
    {
      std::lock_guard lock(mu);
      got.push_back(std::move(r));
    }
    changed.notify_all();
  }
};

namespace {
asio::awaitable<void> serve(HttpSink::State* s, std::shared_ptr<tcp::socket> sock) {
  boost::beast::flat_buffer buf;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(64 << 20);
    boost::system::error_code ec;
    co_await http::async_read(*sock, buf, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
    const auto& req = parser.get();
    SinkRequest r{std::string(req.method_string()), std::string(req.target()), req.body(), {}};
    for (const auto& f : req) {
      std::string name(f.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      r.headers[name] = std::string(f.value());
    }
    const unsigned status = s->answer_status();
    r.answered = status;
    s->record(std::move(r));
    http::response<http::string_body> res{static_cast<http::status>(status), 11};
    res.set(http::field::content_type, "application/json");
    if (status == 429 || status == 503) res.set(http::field::retry_after, "0");
    res.body() = status / 100 == 2 ? "{}" : R"({"code":14,"message":"unavailable"})";
    res.prepare_payload();
    co_await http::async_write(*sock, res, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
  }
  s->sockets.remove(sock);
}

asio::awaitable<void> accept_loop(HttpSink::State* s, tcp::acceptor* acceptor) {
  for (;;) {
    auto sock = std::make_shared<tcp::socket>(s->io);
    boost::system::error_code ec;
    co_await acceptor->async_accept(*sock, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    s->sockets.push_back(sock);
    asio::co_spawn(s->io, serve(s, sock), asio::detached);
  }
}

void listen(HttpSink::State* s) {
  s->acceptor = std::make_unique<tcp::acceptor>(s->io);
  const tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), s->port);
  s->acceptor->open(ep.protocol());
  s->acceptor->set_option(asio::socket_base::reuse_address(true));
  s->acceptor->bind(ep);
  s->acceptor->listen();
  s->port = s->acceptor->local_endpoint().port();
  asio::co_spawn(s->io, accept_loop(s, s->acceptor.get()), asio::detached);  // (the frames go with the io_context)
}

// Runs `f` on the sink's thread and waits for it.
void on_thread(const std::shared_ptr<HttpSink::State>& s, std::function<void()> f) {
  std::promise<void> done;
  asio::post(s->io, [&] {
    f();
    done.set_value();
  });
  done.get_future().wait();
}
}  // namespace

HttpSink::HttpSink() : state_(std::make_shared<State>()) {
  listen(state_.get());
  port_ = state_->port;
  state_->thread = std::thread([s = state_] { s->io.run(); });
}

HttpSink::~HttpSink() {
  down();
  state_->guard.reset();
  state_->io.stop();
  state_->thread.join();
}

void HttpSink::set_status(unsigned status) {
  std::lock_guard lock(state_->mu);
  state_->status = status;
}

void HttpSink::queue_statuses(std::vector<unsigned> statuses) {
  std::lock_guard lock(state_->mu);
  state_->next.assign(statuses.begin(), statuses.end());
}

void HttpSink::down() {
  on_thread(state_, [s = state_.get()] {
    if (s->acceptor) s->acceptor->close();
    for (auto& sock : s->sockets) {
      boost::system::error_code ec;
      sock->shutdown(tcp::socket::shutdown_both, ec);
      sock->close(ec);
    }
  });
}

void HttpSink::up() { on_thread(state_, [s = state_.get()] { listen(s); }); }

std::vector<SinkRequest> HttpSink::requests() const {
  std::lock_guard lock(state_->mu);
  return state_->got;
}

std::size_t HttpSink::count() const {
  std::lock_guard lock(state_->mu);
  return state_->got.size();
}

bool HttpSink::wait_for(const std::function<bool(const std::vector<SinkRequest>&)>& pred, std::chrono::milliseconds limit) {
  std::unique_lock lock(state_->mu);
  return state_->changed.wait_for(lock, limit, [&] { return pred(state_->got); });
}

std::vector<boost::json::object> HttpSink::spans_of(const std::vector<SinkRequest>& requests) {
  std::vector<boost::json::object> out;
  for (const auto& r : requests) {
    if (r.path != "/v1/traces" || r.answered / 100 != 2) continue;
    boost::system::error_code ec;
    auto v = boost::json::parse(r.body, ec);
    if (ec || !v.is_object()) continue;
    for (const auto& rs : v.at("resourceSpans").as_array()) {
      for (const auto& ss : rs.at("scopeSpans").as_array()) {
        for (const auto& sp : ss.at("spans").as_array()) out.push_back(sp.as_object());
      }
    }
  }
  return out;
}

const boost::json::value* span_attribute(const boost::json::object& span, std::string_view key) {
  const auto* attrs = span.if_contains("attributes");
  if (!attrs) return nullptr;
  for (const auto& a : attrs->as_array()) {
    if (a.at("key").as_string() != key) continue;
    const auto& v = a.at("value").as_object();
    return &v.begin()->value();
  }
  return nullptr;
}

std::string span_string(const boost::json::object& span, std::string_view key) {
  const auto* v = span_attribute(span, key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::int64_t span_int(const boost::json::object& span, std::string_view key) {
  const auto* v = span_attribute(span, key);
  if (!v) return -1;
  if (v->is_string()) return std::stoll(std::string(v->as_string()));
  return v->is_int64() ? v->as_int64() : -1;
}

bool span_has_event(const boost::json::object& span, std::string_view name) {
  const auto* events = span.if_contains("events");
  if (!events) return false;
  for (const auto& e : events->as_array()) {
    if (e.at("name").as_string() == name) return true;
  }
  return false;
}

}  // namespace switchyard::test
