#include "state/redis_client.hpp"

#include <pthread.h>
#include <signal.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <algorithm>


namespace switchyard::state {

namespace {
// Blocks SIGPIPE on this thread while hiredis writes (it sends without
// MSG_NOSIGNAL), and consumes one raised meanwhile, as libpq does: the
// embedding process need not ignore SIGPIPE, and no other thread is affected.
class NoSigpipe {
 public:
  NoSigpipe() noexcept {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~NoSigpipe() {
    sigset_t pending;
    sigpending(&pending);
    if (!was_pending_ && sigismember(&pending, SIGPIPE) == 1) {
      const timespec zero{0, 0};
      sigtimedwait(&pipe_, nullptr, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  NoSigpipe(const NoSigpipe&) = delete;
  NoSigpipe& operator=(const NoSigpipe&) = delete;

 private:
  sigset_t pipe_, old_;
  bool was_pending_ = false;
};
}  // namespace


namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

RedisReply convert(const redisReply* r, int depth = 0) {
  RedisReply out;
  if (!r) return out;
  switch (r->type) {
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::integer;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_STRING:
      out.type = RedisReply::Type::string;
      out.text.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::status;
      out.text.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = RedisReply::Type::error;
      out.text.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::array;
      if (depth < 4) {
        out.elements.reserve(r->elements);
        for (std::size_t i = 0; i < r->elements; ++i) out.elements.push_back(convert(r->element[i], depth + 1));
      }
      break;
    default:
      break;  // nil
  }
  return out;
}

}  // namespace

// The live connection's descriptor, shared with the waits armed on it (they
// may complete after the connection is gone: `open` says whether it still is).
struct RedisClient::Watch {
  explicit Watch(asio::any_io_executor ex, int fd) : sd(ex, fd) {}
  asio::posix::stream_descriptor sd;
  bool open = true;
  bool reading = false, read_armed = false;
  bool writing = false, write_armed = false;
};

// One command waiting for its reply; owned by hiredis' privdata until the reply (or the connection's end) comes.
struct RedisClient::Pending {
  explicit Pending(asio::any_io_executor ex) : done(ex) {}
  asio::steady_timer done;
  std::optional<RedisReply> reply;
  bool answered = false;
};

// hiredis' C callbacks, back into the client.
struct RedisHooks {
  static RedisClient* client(void* data) { return static_cast<RedisClient*>(data); }
  static void add_read(void* d) { client(d)->add_read(); }
  static void del_read(void* d) { client(d)->del_read(); }
  static void add_write(void* d) { client(d)->add_write(); }
  static void del_write(void* d) { client(d)->del_write(); }
  static void cleanup(void* d) { client(d)->cleanup(); }
  static void on_connect(const redisAsyncContext* ac, int status) { client(ac->ev.data)->on_connected(status); }
  static void on_disconnect(const redisAsyncContext* ac, int status) { client(ac->ev.data)->on_disconnected(status); }
  static void on_reply(redisAsyncContext*, void* reply, void* privdata) {
    auto* holder = static_cast<std::shared_ptr<RedisClient::Pending>*>(privdata);
    auto& p = **holder;
    p.answered = true;
    if (reply) p.reply = convert(static_cast<const redisReply*>(reply));  // null: the connection went away
    p.done.cancel();
    delete holder;
  }
  static void ignore_reply(redisAsyncContext*, void*, void*) {}
};

RedisClient::RedisClient(asio::any_io_executor ex, RedisEndpoint endpoint)
    : ex_(std::move(ex)), endpoint_(std::move(endpoint)), alive_(std::make_shared<bool>(true)) {}

RedisClient::~RedisClient() {
  *alive_ = false;
  close();
}

void RedisClient::close() {
  closed_ = true;
  if (ctx_) {
    auto* ctx = ctx_;
    ctx_ = nullptr;
    redisAsyncFree(ctx);  // pending replies get null (their waiters wake up with nothing); cleanup() releases the descriptor
  }
  if (watch_) cleanup();
  state_ = State::idle;
  if (health_tick_) health_tick_->cancel();
  notify();
}

void RedisClient::notify() {
  for (auto* t : waiters_) t->cancel();
}

void RedisClient::start_connect() {
  state_ = State::connecting;
  ctx_ = redisAsyncConnect(addresses_[address_].c_str(), endpoint_.port);
  if (!ctx_ || ctx_->err) {
    fail_connection(ctx_ ? ctx_->errstr : "out of memory");
    if (ctx_) redisAsyncFree(ctx_);
    ctx_ = nullptr;
    return;
  }
  watch_ = std::make_shared<Watch>(ex_, ctx_->c.fd);
  ctx_->ev.data = this;
  ctx_->ev.addRead = &RedisHooks::add_read;
  ctx_->ev.delRead = &RedisHooks::del_read;
  ctx_->ev.addWrite = &RedisHooks::add_write;
  ctx_->ev.delWrite = &RedisHooks::del_write;
  ctx_->ev.cleanup = &RedisHooks::cleanup;
  redisAsyncSetDisconnectCallback(ctx_, &RedisHooks::on_disconnect);
  redisAsyncSetConnectCallback(ctx_, &RedisHooks::on_connect);  // waits for the socket to be writable
}

void RedisClient::fail_connection(std::string why) {
  ++stats_.connect_failures;
  const std::string address = address_ < addresses_.size() ? addresses_[address_] : endpoint_.host;
  last_error_ = "redis " + (address == endpoint_.host ? address : endpoint_.host + " (" + address + ")") + ":" +
                std::to_string(endpoint_.port) + ": " + why;
  state_ = State::idle;
  // A name with several addresses (localhost: ::1 and 127.0.0.1 on a stock Debian):
  // the next one is tried at once, within the same command's deadline.
  if (++address_ < addresses_.size()) {
    notify();
    return;
  }
  addresses_.clear();  // every address failed: resolved again after the backoff
  address_ = 0;
  backoff_ = std::min<std::chrono::milliseconds>(std::max<std::chrono::milliseconds>(backoff_ * 2, std::chrono::milliseconds(100)),
                                                  std::chrono::milliseconds(5000));
  next_attempt_ = Clock::now() + backoff_;
  notify();
}

void RedisClient::on_connected(int status) {
  if (!*alive_) return;
  if (status != REDIS_OK) {
    const std::string why = ctx_ && ctx_->errstr[0] ? ctx_->errstr : "connection failed";
    ctx_ = nullptr;  // hiredis frees the context after this callback
    fail_connection(why);
    return;
  }
  ++stats_.connects;
  state_ = State::connected;
  ping_failed_ = false;
  backoff_ = std::chrono::milliseconds(0);
  // AUTH and SELECT go first on the connection; commands queued after them are pipelined behind.
  if (!endpoint_.password.empty()) {
    std::vector<const char*> argv{"AUTH"};
    std::vector<std::size_t> len{4};
    if (!endpoint_.user.empty()) {
      argv.push_back(endpoint_.user.c_str());
      len.push_back(endpoint_.user.size());
    }
    argv.push_back(endpoint_.password.c_str());
    len.push_back(endpoint_.password.size());
    redisAsyncCommandArgv(ctx_, &RedisHooks::ignore_reply, nullptr, static_cast<int>(argv.size()), argv.data(), len.data());
  }
  if (endpoint_.db != 0) {
    const std::string db = std::to_string(endpoint_.db);
    const char* argv[] = {"SELECT", db.c_str()};
    const std::size_t len[] = {6, db.size()};
    redisAsyncCommandArgv(ctx_, &RedisHooks::ignore_reply, nullptr, 2, argv, len);
  }
  for (const auto& c : connect_commands_) {
    std::vector<const char*> argv;
    std::vector<std::size_t> len;
    for (const auto& a : c) {
      argv.push_back(a.data());
      len.push_back(a.size());
    }
    redisAsyncCommandArgv(ctx_, &RedisHooks::ignore_reply, nullptr, static_cast<int>(argv.size()), argv.data(), len.data());
  }
  if (on_connect_) on_connect_();
  notify();
}

void RedisClient::on_disconnected(int status) {
  if (!*alive_) return;
  ++stats_.disconnects;
  if (status != REDIS_OK) last_error_ = "redis connection lost: " + std::string(ctx_ && ctx_->errstr[0] ? ctx_->errstr : "closed");
  ctx_ = nullptr;  // hiredis frees the context after this callback
  state_ = State::idle;
  next_attempt_ = Clock::now();  // reconnect on the next command (its failures back off)
  notify();
}

void RedisClient::cleanup() {
  if (!watch_) return;
  watch_->open = false;
  boost::system::error_code ec;
  watch_->sd.cancel(ec);
  (void)watch_->sd.release();  // hiredis closes the descriptor itself
  watch_.reset();
}

void RedisClient::add_read() {
  if (!watch_) return;
  watch_->reading = true;
  arm(false);
}
void RedisClient::del_read() {
  if (watch_) watch_->reading = false;
}
void RedisClient::add_write() {
  if (!watch_) return;
  watch_->writing = true;
  arm(true);
}
void RedisClient::del_write() {
  if (watch_) watch_->writing = false;
}

// One wait for readiness at a time per direction; hiredis reads or writes when it comes, and
// the wait is armed again while hiredis still wants that direction.
void RedisClient::arm(bool write) {
  bool& armed = write ? watch_->write_armed : watch_->read_armed;
  if (armed) return;
  armed = true;
  const auto what = write ? asio::posix::stream_descriptor::wait_write : asio::posix::stream_descriptor::wait_read;
  watch_->sd.async_wait(what, [this, write, w = watch_, alive = alive_](boost::system::error_code ec) {
    (write ? w->write_armed : w->read_armed) = false;
    if (ec || !*alive || !w->open || !ctx_ || watch_ != w) return;
    if (write) {
      const NoSigpipe quiet;  // hiredis writes with send(..., 0): a closed connection must not kill the process
      redisAsyncHandleWrite(ctx_);
    }
    else redisAsyncHandleRead(ctx_);  // may call back into us (replies, a disconnect)
    if (*alive && watch_ == w && w->open && (write ? w->writing : w->reading)) arm(write);
  });
}

asio::awaitable<bool> RedisClient::ensure_connected(Clock::time_point deadline) {
  auto alive = alive_;
  for (;;) {
    if (closed_) {
      last_error_ = "redis: closed (shutting down)";
      co_return false;
    }
    if (state_ == State::connected) co_return true;
    if (state_ == State::idle) {
      if (Clock::now() < next_attempt_) co_return false;  // backing off after a failure: fail fast
      if (addresses_.empty()) {
        if (!co_await resolve(deadline) || !*alive) co_return false;
        if (closed_) continue;
      }
      if (state_ == State::idle && !addresses_.empty()) start_connect();
      continue;
    }
    // Connecting: wait for the outcome (notify() wakes the waiters), at most until the deadline.
    asio::steady_timer wait(ex_, deadline);
    waiters_.push_back(&wait);
    boost::system::error_code ec;
    co_await wait.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (!*alive) co_return false;
    std::erase(waiters_, &wait);
    if (!ec && state_ != State::connected) {  // the deadline, not a wake-up
      last_error_ = "redis " + endpoint_.host + ":" + std::to_string(endpoint_.port) + ": no connection in time";
      co_return false;
    }
    if ((co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none) co_return false;
  }
}

// The addresses to try: the host itself when it is one, else every address the name
// resolves to, in the resolver's order (hiredis would block the io thread on getaddrinfo,
// and would try only one). Bounded like every wait: a resolver that hangs costs the
// command its deadline, no more.
asio::awaitable<bool> RedisClient::resolve(Clock::time_point deadline) {
  auto alive = alive_;
  address_ = 0;
  if (boost::system::error_code ec; asio::ip::make_address(endpoint_.host, ec), !ec) {
    addresses_ = {endpoint_.host};
    co_return true;
  }
  asio::steady_timer limit(ex_, deadline);
  using namespace asio::experimental::awaitable_operators;
  std::vector<std::string> found;
  bool timed_out = false;
  if (resolver_) {
    auto raced = co_await (resolver_(endpoint_.host, endpoint_.port) || limit.async_wait(asio::as_tuple(asio::use_awaitable)));
    if (raced.index() == 1) timed_out = true;
    else found = std::get<0>(std::move(raced));
  } else {
    asio::ip::tcp::resolver resolver(ex_);
    auto raced = co_await (resolver.async_resolve(endpoint_.host, std::to_string(endpoint_.port), asio::as_tuple(asio::use_awaitable)) ||
                           limit.async_wait(asio::as_tuple(asio::use_awaitable)));
    if (raced.index() == 1) timed_out = true;
    else if (auto [rec, results] = std::get<0>(std::move(raced)); !rec) {
      for (const auto& r : results) {
        auto a = r.endpoint().address().to_string();
        if (std::find(found.begin(), found.end(), a) == found.end()) found.push_back(std::move(a));
      }
    }
  }
  if (!*alive) co_return false;
  if (timed_out) {
    last_error_ = "redis: resolving " + endpoint_.host + " took longer than the command's timeout";
    co_return false;
  }
  if (found.empty()) {
    fail_connection("cannot resolve " + endpoint_.host);
    co_return false;
  }
  addresses_ = std::move(found);
  co_return true;
}

void RedisClient::start_health_checks(std::chrono::milliseconds interval, std::chrono::milliseconds timeout) {
  if (health_tick_ || closed_) return;
  health_tick_ = std::make_shared<asio::steady_timer>(ex_);
  asio::co_spawn(ex_, health_loop(interval, timeout), asio::detached);
}

asio::awaitable<void> RedisClient::health_loop(std::chrono::milliseconds interval, std::chrono::milliseconds timeout) {
  auto alive = alive_;
  auto tick = health_tick_;  // outlives the client if the client goes first; close() cancels it
  while (*alive && !closed_) {
    std::vector<std::string> ping(1, "PING");  // (a braced list inside co_await trips GCC 12)
    auto reply = co_await command(std::move(ping), timeout);
    if (!*alive || closed_) co_return;
    ping_failed_ = !reply || reply->is_error();
    tick->expires_after(interval);
    boost::system::error_code ec;
    co_await tick->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

asio::awaitable<std::optional<RedisReply>> RedisClient::command(std::vector<std::string> args, std::chrono::milliseconds timeout, bool* sent) {
  const auto deadline = Clock::now() + timeout;
  if (sent) *sent = false;
  auto alive = alive_;
  ++stats_.commands;
  if (!co_await ensure_connected(deadline) || !*alive || !ctx_) {
    ++stats_.errors;
    co_return std::nullopt;
  }
  std::vector<const char*> argv;
  std::vector<std::size_t> len;
  argv.reserve(args.size());
  len.reserve(args.size());
  for (const auto& a : args) {
    argv.push_back(a.data());
    len.push_back(a.size());
  }
  auto pending = std::make_shared<Pending>(ex_);
  auto* holder = new std::shared_ptr<Pending>(pending);
  if (redisAsyncCommandArgv(ctx_, &RedisHooks::on_reply, holder, static_cast<int>(argv.size()), argv.data(), len.data()) != REDIS_OK) {
    delete holder;
    ++stats_.errors;
    last_error_ = "redis: the command could not be queued";
    co_return std::nullopt;
  }
  if (sent) *sent = true;
  pending->done.expires_at(deadline);
  boost::system::error_code ec;
  co_await pending->done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  if (!pending->answered) {
    if (*alive) {
      ++stats_.timeouts;
      last_error_ = "redis: no reply within " + std::to_string(timeout.count()) + " ms";
    }
    co_return std::nullopt;  // the reply, if it comes, goes to `pending` and is dropped
  }
  if (!pending->reply) {
    if (*alive) ++stats_.errors;
    co_return std::nullopt;
  }
  if (pending->reply->is_error() && *alive) ++stats_.errors;
  co_return std::move(pending->reply);
}

}  // namespace switchyard::state
