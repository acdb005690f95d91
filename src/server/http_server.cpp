#include "server/http_server.hpp"

#include <sys/socket.h>

#include <boost/json/serialize.hpp>

#include "ui/dashboard_page.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/verb.hpp>

#include <random>

#include <sys/resource.h>

#include "server/admin_api.hpp"
#include "server/admin_views.hpp"
#include "server/usage_views.hpp"

namespace switchyard::server {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::beast::http::verb;
using pipeline::Access;
constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);
using Clock = std::chrono::steady_clock;

namespace {
std::uint64_t random_seed() {
  std::random_device rd;
  return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
}
}  // namespace

namespace {
// An administrator's JWT ([auth.jwt] admin_claim and admin_values); none without them.
pipeline::Authenticator::JwtAdmin jwt_admin(Gateway& gateway, std::size_t reactor) {
  const auto* gate = gateway.jwt_gate();
  if (!gate || !gateway.config().auth.jwt || gateway.config().auth.jwt->admin_claim.empty()) return {};
  return [gate, &p = gateway.pipeline(reactor)](std::string_view token) { return gate->administrator(token, p.current().keys.team_names()); };
}
}  // namespace

std::shared_ptr<FrontBudgets> HttpServer::budgets_for(const ServerConfig& c) {
  return std::make_shared<FrontBudgets>(c.max_json_memory_bytes, c.max_header_memory_bytes, c.max_embeddings_memory_bytes);
}

HttpServer::HttpServer(asio::any_io_executor ex, Gateway& gateway, observability::Logger& log, std::size_t reactor, std::size_t servers,
                       std::shared_ptr<FrontBudgets> budgets)
    : ex_(ex), gateway_(gateway), reactor_(reactor), servers_(std::max<std::size_t>(servers, 1)), config_(gateway.config().server), log_(log),
      acceptor_(ex), drained_(ex), accept_backoff_(ex), ids_(random_seed()), budgets_(budgets ? std::move(budgets) : budgets_for(config_)),
      authenticator_([&p = gateway.pipeline(reactor)](std::string_view authorization) { return p.authenticate(authorization); }, config_.admin_key,
                     [&p = gateway.pipeline(reactor)] { return p.pin(); }, jwt_admin(gateway, reactor)),
      accounting_(&log, config_.access_log), chat_(gateway.pipeline(reactor), log, budgets_->embeddings), key_watch_(log), admin_(gateway, gateway.executor(0)), feed_(ex, gateway, reactor, reactor == 0 ? &key_watch_ : nullptr),
      endpoints_(make_endpoints()),
      host_{config_, ids_, budgets_->header, endpoints_, authenticator_, accounting_, budgets_->parse, stopping_} {
  max_connections_ = std::max<std::size_t>(config_.max_connections / servers_, 1);
}

void HttpServer::set_reloader(Reloader reloader, asio::any_io_executor main) {
  reloader_ = std::move(reloader);
  main_ = main ? std::move(main) : ex_;
}

asio::awaitable<void> HttpServer::reload_config(RequestContext& r) {
  if (!reloader_) co_return co_await r.respond_error(make_error(errc::not_found, "reloading needs the daemon's --config file"));
  // The reload runs where every other one does (the main reactor), then each worker installs it.
  using Outcome = boost::system::result<ReloadOutcome, std::string>;
  auto done = co_await asio::co_spawn(main_, [this]() -> asio::awaitable<Outcome> { co_return reloader_(); }, asio::use_awaitable);
  co_await gateway_.settled();
  if (!done) co_return co_await r.respond_error(make_error(errc::invalid_config, done.error() + "; the running configuration is kept"));
  co_await r.respond(200, "application/json", reload_json(*done));
}

asio::awaitable<void> HttpServer::dashboard_page(RequestContext& r) {
  std::string page(ui::dashboard_html());
  if (config_.admin_key.empty()) {  // the page explains how to turn it on
    const std::string_view marker = "data-admin-key=\"configured\"";
    if (auto at = page.find(marker); at != std::string::npos) page.replace(at, marker.size(), "data-admin-key=\"missing\"");
  }
  // Everything the page needs is in it; it talks to this origin only.
  r.headers.add("content-security-policy",
                "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; "
                "base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
  r.headers.add("x-content-type-options", "nosniff");
  r.headers.add("cache-control", "no-store");
  co_await r.respond(200, "text/html; charset=utf-8", page);
}

asio::awaitable<void> HttpServer::dashboard_events(RequestContext& r) {
  r.outcome.status = 200;
  r.outcome.close = true;  // a stream that ends when the page goes
  const auto m = r.meta();
  std::string out;
  const auto head = r.writer.stream_head(m);
  out.append(static_cast<const char*>(head.data()), head.size());
  asio::steady_timer tick(ex_);
  for (bool first = true;; first = false) {
    const auto event = co_await feed_.event(first);
    ResponseWriter::append_sse(out, boost::json::serialize(event));
    if (stopping_) out.append("0\r\n\r\n");  // the server is stopping: the stream ends cleanly
    if (!co_await r.send(asio::buffer(out)) || stopping_) co_return;
    out.clear();
    tick.expires_after(std::chrono::seconds(1));
    auto [ec] = co_await tick.async_wait(use_nothrow);
    if (ec) co_return;  // cancelled: the connection is going
  }
}

asio::awaitable<void> HttpServer::answer_text(RequestContext& r, std::string_view content_type, std::string body) {
  co_await r.respond(200, content_type, body);
}

// The gateway's series, then the front-end's own (every worker's server added up).
asio::awaitable<std::string> HttpServer::metrics_text() const {
  const auto pools = co_await gateway_.pools();
  std::uint64_t log_dropped = log_.dropped(), chunks = chat_.stream_chunks(), writes = chat_.stream_writes();
  for (const auto* p : peers_) {
    if (&p->log_ != &log_) log_dropped += p->log_.dropped();
    chunks += p->chat_.stream_chunks();
    writes += p->chat_.stream_writes();
  }
  observability::PrometheusWriter out;
  out.help("switchyard_log_dropped_total", "counter", "Log lines dropped because the log's reader (stderr) did not keep up.");
  out.sample("switchyard_log_dropped_total", {}, static_cast<double>(log_dropped));
  out.help("switchyard_stream_chunks_total", "counter", "Stream chunks relayed to clients.");
  out.sample("switchyard_stream_chunks_total", {}, static_cast<double>(chunks));
  out.help("switchyard_stream_writes_total", "counter", "Writes that carried them (chunks that arrived together leave in one).");
  out.sample("switchyard_stream_writes_total", {}, static_cast<double>(writes));
  co_return gateway_.metrics_text(pools) + out.text();
}

// One line per endpoint: path, method, who may call it, body, error shape, handler.
EndpointTable HttpServer::make_endpoints() {
  auto chat = [this](RequestContext& r) { return chat_.chat_completions(r); };
  auto messages = [this](RequestContext& r) { return chat_.messages(r); };
  auto embeddings = [this](RequestContext& r) { return chat_.embeddings(r); };
  auto count_tokens = [this](RequestContext& r) { return chat_.count_tokens(r); };
  auto responses = [this](RequestContext& r) { return chat_.responses(r); };
  auto gemini = [this](RequestContext& r) { return chat_.gemini(r); };
  auto gemini_models = [this](RequestContext& r) { return answer_text(r, "application/json", gemini_models_json(gateway_)); };
  auto models = [this](RequestContext& r) { return answer_text(r, "application/json", models_json(gateway_)); };
  auto providers = [this](RequestContext& r) -> asio::awaitable<void> {
    const auto pools = co_await gateway_.pools();
    co_await answer_text(r, "application/json", providers_json(gateway_, pools, reactor_));
  };
  auto health = [this](RequestContext& r) { return answer_text(r, "application/json", health_json(gateway_, stopping_, reactor_)); };
  auto metrics = [this](RequestContext& r) -> asio::awaitable<void> { co_await answer_text(r, "text/plain; version=0.0.4", co_await metrics_text()); };
  auto usage = [this](RequestContext& r) { return key_usage(r, gateway_); };
  auto all_usage = [this](RequestContext& r) { return admin_usage(r, gateway_); };
  auto reload = [this](RequestContext& r) { return reload_config(r); };
  auto alerts = [this](RequestContext& r) { return answer_text(r, "application/json", gateway_.alerts_json()); };
  auto sla = [this](RequestContext& r) { return admin_sla(r, gateway_); };
  auto ui = [this](RequestContext& r) { return dashboard_page(r); };
  auto events = [this](RequestContext& r) { return dashboard_events(r); };
  std::vector<EndpointSpec> table{
      {"/v1/chat/completions", verb::post, Access::client_key, true, ErrorShape::openai, chat},
      {"/chat/completions", verb::post, Access::client_key, true, ErrorShape::openai, chat},
      {"/v1/messages", verb::post, Access::client_key, true, ErrorShape::anthropic, messages},
      {"/messages", verb::post, Access::client_key, true, ErrorShape::anthropic, messages},
      {"/v1/messages/count_tokens", verb::post, Access::client_key, true, ErrorShape::anthropic, count_tokens},
      {"/messages/count_tokens", verb::post, Access::client_key, true, ErrorShape::anthropic, count_tokens},
      {"/v1/responses", verb::post, Access::client_key, true, ErrorShape::openai, responses},
      {"/responses", verb::post, Access::client_key, true, ErrorShape::openai, responses},
      {"/v1/embeddings", verb::post, Access::client_key, true, ErrorShape::openai, embeddings},
      {"/embeddings", verb::post, Access::client_key, true, ErrorShape::openai, embeddings},
      {"/v1beta/models/", verb::post, Access::client_key, true, ErrorShape::google, gemini, true},
      {"/v1/models/", verb::post, Access::client_key, true, ErrorShape::google, gemini, true},  // the GenAI SDK's GA paths
      {"/v1beta/models", verb::get, Access::client_key, false, ErrorShape::google, gemini_models},
      {"/v1/models", verb::get, Access::client_key, false, ErrorShape::openai, models},
      {"/models", verb::get, Access::client_key, false, ErrorShape::openai, models},
      {"/v1/providers", verb::get, Access::admin_key, false, ErrorShape::openai, providers},
      {"/health", verb::get, Access::open, false, ErrorShape::openai, health},
      {"/metrics", verb::get, Access::open, false, ErrorShape::openai, metrics},
      {"/v1/usage", verb::get, Access::client_key, false, ErrorShape::openai, usage},
      {"/admin/usage", verb::get, Access::admin_key, false, ErrorShape::openai, all_usage},
      {"/admin/reload", verb::post, Access::admin_key, false, ErrorShape::openai, reload},
      {"/admin/alerts", verb::get, Access::admin_key, false, ErrorShape::openai, alerts},
      {"/admin/sla", verb::get, Access::admin_key, false, ErrorShape::openai, sla},
      {"/admin/events", verb::get, Access::admin_key, false, ErrorShape::openai, events},
      {"/ui", verb::get, Access::open, false, ErrorShape::openai, ui},
  };
  for (auto& spec : admin_.endpoints()) table.push_back(std::move(spec));
  return EndpointTable(std::move(table));
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

std::uint16_t HttpServer::listen(std::optional<std::uint16_t> port) {
  max_connections_ = std::max<std::size_t>(fit_connections_to_fd_limit() / servers_, 1);
  const auto address = asio::ip::make_address(config_.host);
  const tcp::endpoint ep(address, port.value_or(config_.port));
  acceptor_.open(ep.protocol());
  acceptor_.set_option(tcp::acceptor::reuse_address(true));
  if (servers_ > 1) {  // one listener per worker on the same port; the kernel spreads connections over them
    const int on = 1;
    if (::setsockopt(acceptor_.native_handle(), SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0) {
      throw boost::system::system_error(boost::system::error_code(errno, boost::system::system_category()), "SO_REUSEPORT");
    }
  }
  acceptor_.bind(ep);
  acceptor_.listen(asio::socket_base::max_listen_connections);
  return acceptor_.local_endpoint().port();
}

asio::awaitable<void> HttpServer::run() {
  asio::co_spawn(ex_, feed_.run(), asio::detached);  // the dashboard's history; stop() ends it
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
  feed_.stop();
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  accept_backoff_.cancel();
  for (auto* s : sessions_) s->close_if_idle();
  if (sessions_.empty()) drained_.cancel();
}

void HttpServer::cancel_all() {
  stopping_ = true;
  // A session may unregister while being cancelled: walk a copy.
  const std::vector<HttpSession*> open(sessions_.begin(), sessions_.end());
  for (auto* s : open) s->cancel();
}

asio::awaitable<bool> HttpServer::shut_down(Millis grace) {
  stop();
  const bool drained = co_await drain(grace);  // (not inside the if: GCC 12 miscompiles a co_await in a condition here)
  if (drained) co_return true;
  log_.warn("shutdown grace period over with " + std::to_string(sessions_.size()) + " connections still open: cancelling them");
  cancel_all();
  co_return co_await drain(config_.write_timeout);
}

asio::awaitable<bool> HttpServer::drain(Millis grace) {
  if (sessions_.empty()) co_return true;
  drained_.expires_after(grace);
  co_await drained_.async_wait(use_nothrow);
  co_return sessions_.empty();
}

asio::awaitable<void> HttpServer::session(tcp::socket socket, std::shared_ptr<asio::cancellation_signal> cancel) {
  HttpSession self(host_, std::move(socket), std::move(cancel));
  auto entry = sessions_.insert(sessions_.end(), &self);
  open_count_ = sessions_.size();
  struct Unregister {
    HttpServer& server;
    std::list<HttpSession*>::iterator it;
    ~Unregister() {
      server.sessions_.erase(it);
      server.open_count_ = server.sessions_.size();
      if (server.stopping_ && server.sessions_.empty()) server.drained_.cancel();
    }
  } unregister{*this, entry};
  co_await self.run();
}

}  // namespace switchyard::server
