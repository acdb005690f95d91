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
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

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
    std::uint64_t connects = 0, connect_failures = 0, disconnects = 0, commands = 0, timeouts = 0, errors = 0;
  };

  RedisClient(boost::asio::any_io_executor ex, RedisEndpoint endpoint);
  ~RedisClient();  // frees the connection; commands still waiting fail with "closed"
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Sends one command (its arguments, binary-safe) and waits for its reply at
  // most `timeout` (connecting first when needed, within the same time).
  // nullopt: no reply in time, or no connection (the reason in last_error()).
  boost::asio::awaitable<std::optional<RedisReply>> command(std::vector<std::string> args, std::chrono::milliseconds timeout);

  // Closes the connection for good (the gateway shutting down): nothing is
  // left waiting on the io_context, and later commands fail at once.
  void close();

  bool connected() const noexcept { return state_ == State::connected; }
  const boost::asio::any_io_executor& executor() const noexcept { return ex_; }
  const std::string& last_error() const noexcept { return last_error_; }
  const Stats& stats() const noexcept { return stats_; }

 private:
  enum class State { idle, connecting, connected };
  struct Pending;
  struct Watch;
  friend struct RedisHooks;

  boost::asio::awaitable<bool> ensure_connected(std::chrono::steady_clock::time_point deadline);
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
  State state_ = State::idle;
  std::shared_ptr<Watch> watch_;  // the descriptor of the live connection (shared with its pending waits)
  std::vector<boost::asio::steady_timer*> waiters_;  // coroutines waiting for the connection (each its own deadline)
  std::chrono::steady_clock::time_point next_attempt_{};
  std::chrono::milliseconds backoff_{0};
  std::string last_error_;
  Stats stats_;
  std::shared_ptr<bool> alive_;  // false once destroyed: late callbacks do nothing
  bool closed_ = false;
};

}  // namespace switchyard::state
