#pragma once
// A Redis connection on the gateway's io_context: hiredis (Debian's
// libhiredis-dev) speaks the protocol; this adapter drives its async API from
// Asio (the connection's file descriptor watched with a
// posix::stream_descriptor, no thread, no blocking call). Commands are
// pipelined on the one connection as hiredis sends them; each waits for its
// reply at most its timeout. A lost connection fails what was waiting and is
// made again on the next command, after a backoff that doubles up to 5 s.
//
// hiredis 0.14 (Debian 12) has no TLS: a rediss:// URL is refused by
// parse_redis_url (redis_url.hpp) with a message saying so.
#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "observability/relaxed_counter.hpp"
#include "state/redis_url.hpp"

struct redisAsyncContext;

namespace switchyard::state {

// A reply, converted from hiredis' (arrays nested at most 4 deep).
struct RedisReply {
  enum class Type { nil, integer, string, status, error, array } type = Type::nil;
  std::int64_t integer = 0;
  std::string text;  // string, status, error
  std::vector<RedisReply> elements;
  bool is_error() const noexcept { return type == Type::error; }
};

class RedisClient {
 public:
  struct Stats {
    // Counted by the client's reactor, read from any thread.
    observability::RelaxedCounter<std::uint64_t> connects, connect_failures, disconnects, commands, timeouts, errors;
  };

  RedisClient(boost::asio::any_io_executor ex, RedisEndpoint endpoint);
  ~RedisClient();  // frees the connection; commands still waiting fail with "closed"
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Sends one command (its arguments, binary-safe) and waits for its reply at
  // most `timeout` (connecting first when needed, within the same time).
  // nullopt: no reply in time, or no connection (the reason in last_error()).
  // `sent` (optional): set to whether the command left for Redis (false: it
  // never did, so it did not run and may be sent again safely).
  boost::asio::awaitable<std::optional<RedisReply>> command(std::vector<std::string> args, std::chrono::milliseconds timeout,
                                                            bool* sent = nullptr);
  // A command sent first on every new connection (after AUTH and SELECT),
  // its reply ignored: what every connection needs, such as SCRIPT LOAD.
  void add_connect_command(std::vector<std::string> args) { connect_commands_.push_back(std::move(args)); }

  // Closes the connection for good (the gateway shutting down): nothing is
  // left waiting on the io_context, and later commands fail at once.
  void close();

  bool connected() const noexcept { return state_ == State::connected; }
  const boost::asio::any_io_executor& executor() const noexcept { return ex_; }
  const std::string& last_error() const noexcept { return last_error_; }
  const Stats& stats() const noexcept { return stats_; }

  // Resolves a host name to the addresses to try, in order (the default: Asio's
  // resolver, off the io thread, bounded by the command's deadline). Tests pass
  // their own to stand for a name with several addresses.
  using Resolver = std::function<boost::asio::awaitable<std::vector<std::string>>(const std::string& host, std::uint16_t port)>;
  void set_resolver(Resolver resolver) { resolver_ = std::move(resolver); }

  // Keeps the connection up without client traffic, as Boost.Redis' run()
  // does: a PING every `interval` (connecting, with the usual backoff, when
  // there is no connection), so a replica whose Redis came back is healthy
  // again within about `interval` + the backoff, not at its next request.
  // Stops with close().
  void start_health_checks(std::chrono::milliseconds interval, std::chrono::milliseconds timeout);
  // Connected, and the last health check (if any ran) was answered.
  bool healthy() const noexcept { return state_ == State::connected && !ping_failed_; }

  // Called each time a connection is made (after AUTH and SELECT are queued):
  // what must be on every new connection (scripts loaded) goes here.
  void on_connect(std::function<void()> hook) { on_connect_ = std::move(hook); }

 private:
  enum class State { idle, connecting, connected };
  struct Pending;
  struct Watch;
  friend struct RedisHooks;

  boost::asio::awaitable<bool> ensure_connected(std::chrono::steady_clock::time_point deadline);
  boost::asio::awaitable<bool> resolve(std::chrono::steady_clock::time_point deadline);
  boost::asio::awaitable<void> health_loop(std::chrono::milliseconds interval, std::chrono::milliseconds timeout);
  void start_connect();
  void on_connected(int status);
  void on_disconnected(int status);
  void fail_connection(std::string why);
  void notify();  // wakes whoever waits for the connection
  // hiredis' event hooks
  void add_read();
  void del_read();
  void add_write();
  void del_write();
  void cleanup();
  void arm(bool write);

  boost::asio::any_io_executor ex_;
  RedisEndpoint endpoint_;
  redisAsyncContext* ctx_ = nullptr;
  std::atomic<State> state_{State::idle};  // read by connected() / healthy() from any thread
  std::shared_ptr<Watch> watch_;  // the descriptor of the live connection (shared with its pending waits)
  std::vector<boost::asio::steady_timer*> waiters_;  // coroutines waiting for the connection (each its own deadline)
  Resolver resolver_;
  std::vector<std::string> addresses_;  // what the host resolved to; tried in order, then resolved again
  std::size_t address_ = 0;             // the one being tried
  std::function<void()> on_connect_;
  std::vector<std::vector<std::string>> connect_commands_;
  std::shared_ptr<boost::asio::steady_timer> health_tick_;  // the health loop's wait (shared with it), cancelled by close()
  std::atomic<bool> ping_failed_{false};
  std::chrono::steady_clock::time_point next_attempt_{};
  std::chrono::milliseconds backoff_{0};
  std::string last_error_;
  Stats stats_;
  std::shared_ptr<bool> alive_;  // false once destroyed: late callbacks do nothing
  bool closed_ = false;
};

}  // namespace switchyard::state
