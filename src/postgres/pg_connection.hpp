#pragma once
// A PostgreSQL connection on the gateway's io_context: libpq (Debian's
// libpq-dev) speaks the protocol through its asynchronous API (PQconnectStart
// and PQconnectPoll, PQsendQueryParams, PQconsumeInput); the connection's
// socket is watched with a posix::stream_descriptor, so no thread waits on
// the network. Statements run one at a time, in the order they were asked
// (a caller waits its turn); every wait is bounded: connecting by
// connect_timeout, a statement by statement_timeout, after which the
// connection is dropped (and made again by the next statement). A failure of
// the connection itself closes it; an error of the statement (a constraint,
// a syntax error) leaves it open.
//
// query_blocking(): the same with libpq's blocking calls, for startup only
// (migrations, the first read of keys and teams, restoring budgets).
#include <switchyard/error.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sync/async_turns.hpp"

struct pg_conn;
struct pg_result;

namespace switchyard::postgres {

using Millis = std::chrono::milliseconds;

// A statement's rows, as text (NULL reads as "").
class PgRows {
 public:
  PgRows() = default;
  explicit PgRows(pg_result* res);
  std::size_t rows() const noexcept;
  std::size_t columns() const noexcept;
  std::string_view text(std::size_t row, std::size_t column) const noexcept;
  std::int64_t integer(std::size_t row, std::size_t column) const noexcept;  // 0 when NULL or not a number
  double real(std::size_t row, std::size_t column) const noexcept;
  bool boolean(std::size_t row, std::size_t column) const noexcept;  // 't'

 private:
  std::shared_ptr<pg_result> res_;
};

// Parameters are text ($1, $2, ...), never NULL.
using Params = std::vector<std::string>;

// Made with std::make_shared: a statement in flight keeps its connection
// alive (its owner closes it when going away: what waits fails at once).
class PgConnection : public std::enable_shared_from_this<PgConnection> {
 public:
  PgConnection(boost::asio::any_io_executor ex, std::string url, Millis connect_timeout, Millis statement_timeout);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // One statement (several, separated by ';', when there are no parameters),
  // connecting first when needed; waits for its turn.
  // (Not a coroutine itself: literals and braced lists become strings here, before the coroutine's frame takes them.)
  boost::asio::awaitable<result<PgRows>> query(std::string sql, Params params = {}) { return run_query(std::move(sql), std::move(params)); }
  // After "LISTEN channel": waits at most `max` for a notification on this
  // connection (true: one came, or had come already; false: none in time).
  boost::asio::awaitable<result<bool>> wait_notification(Millis max);

  bool connected() const noexcept { return conn_ != nullptr; }
  void close() noexcept;  // drops the connection (the next statement connects again)
  const std::string& last_error() const noexcept { return last_error_; }
  std::uint64_t connects() const noexcept { return connects_; }

 private:
  using Deadline = std::chrono::steady_clock::time_point;
  enum class Ready { yes, timed_out, failed };
  boost::asio::awaitable<result<PgRows>> run_query(std::string sql, Params params);
  boost::asio::awaitable<result<void>> connect();
  boost::asio::awaitable<result<PgRows>> run(const std::string& sql, const Params& params, Deadline deadline);
  boost::asio::awaitable<Ready> wait(bool write, Deadline deadline);
  void watch_socket();
  bool broken() const noexcept;
  std::string no_answer() const;
  Error fail(std::string what);  // closes the connection; the error names what failed, never the URL's password

  boost::asio::any_io_executor ex_;
  std::string url_;
  Millis connect_timeout_, statement_timeout_;
  pg_conn* conn_ = nullptr;
  boost::asio::posix::stream_descriptor socket_;
  boost::asio::steady_timer guard_;      // ends a wait at its deadline (cancels the socket's wait)
  std::uint64_t wait_generation_ = 0;    // which wait the guard is for
  sync::AsyncTurns turns_;  // one statement at a time
  bool notified_ = false;
  std::string last_error_;
  std::uint64_t connects_ = 0;
};

// Startup only: one statement on a connection of its own (connected within `timeout`).
result<PgRows> query_blocking(const std::string& url, const std::string& sql, const Params& params, Millis timeout);

}  // namespace switchyard::postgres
