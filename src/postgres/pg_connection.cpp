#include "postgres/pg_connection.hpp"

#include <libpq-fe.h>

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <charconv>
#include <cstdlib>

#include "text/url_redaction.hpp"

namespace switchyard::postgres {

namespace asio = boost::asio;
using Descriptor = asio::posix::stream_descriptor;

namespace {
std::string trimmed(const char* message) {
  std::string s = message ? message : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s.empty() ? "unknown error" : s;
}

struct ResultFree {
  void operator()(PGresult* r) const noexcept { PQclear(r); }
};
using OwnedResult = std::unique_ptr<PGresult, ResultFree>;
}  // namespace

PgRows::PgRows(pg_result* res) : res_(res, [](pg_result* r) { PQclear(r); }) {}

std::size_t PgRows::rows() const noexcept { return res_ ? static_cast<std::size_t>(PQntuples(res_.get())) : 0; }

std::size_t PgRows::columns() const noexcept { return res_ ? static_cast<std::size_t>(PQnfields(res_.get())) : 0; }

std::string_view PgRows::text(std::size_t row, std::size_t column) const noexcept {
  if (row >= rows() || column >= columns()) return {};
  const int r = static_cast<int>(row), c = static_cast<int>(column);
  return {PQgetvalue(res_.get(), r, c), static_cast<std::size_t>(PQgetlength(res_.get(), r, c))};
}

std::int64_t PgRows::integer(std::size_t row, std::size_t column) const noexcept {
  const auto t = text(row, column);
  std::int64_t v = 0;
  std::from_chars(t.data(), t.data() + t.size(), v);
  return v;
}

double PgRows::real(std::size_t row, std::size_t column) const noexcept {
  const std::string t(text(row, column));
  return t.empty() ? 0.0 : std::strtod(t.c_str(), nullptr);
}

bool PgRows::boolean(std::size_t row, std::size_t column) const noexcept { return text(row, column) == "t"; }

PgConnection::PgConnection(asio::any_io_executor ex, std::string url, Millis connect_timeout, Millis statement_timeout)
    : ex_(std::move(ex)), url_(std::move(url)), connect_timeout_(connect_timeout), statement_timeout_(statement_timeout), socket_(ex_), guard_(ex_), turns_(ex_) {}

PgConnection::~PgConnection() { close(); }

void PgConnection::close() noexcept {
  boost::system::error_code ec;
  socket_.close(ec);  // our duplicate of libpq's descriptor (see watch_socket)
  if (conn_) {
    PQfinish(conn_);
    conn_ = nullptr;
  }
}

Error PgConnection::fail(std::string what) {
  last_error_ = "PostgreSQL (" + text::redact_url(url_) + "): " + what + (conn_ ? ": " + trimmed(PQerrorMessage(conn_)) : "");
  close();
  return make_error(errc::unavailable, last_error_);
}

// libpq may open another socket while connecting (the next address): watched again at every step.
// Asio watches a duplicate of libpq's descriptor, never libpq's own: libpq closes its socket
// by itself when the connection breaks, and the number may then be reused at once by another
// socket; deregistering that number would silence the other socket's waits. Our duplicate's
// number stays ours until we close it.
void PgConnection::watch_socket() {
  boost::system::error_code ec;
  socket_.close(ec);
  const int fd = conn_ ? PQsocket(conn_) : -1;
  if (fd < 0) return;
  const int mine = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (mine >= 0) socket_.assign(mine, ec);
  if (ec && mine >= 0) ::close(mine);
}

// libpq dropped the connection by itself (its socket closed, the status bad).
bool PgConnection::broken() const noexcept { return !conn_ || PQstatus(conn_) == CONNECTION_BAD || PQsocket(conn_) < 0; }

// Until the socket is ready, the deadline passes (the guard timer cancels the wait), or it fails.
// Asio's epoll reactor is edge-triggered and a descriptor wait is never speculative: readiness
// that came while no wait was pending (between our wakeup and libpq's read, say) would be an edge
// gone by, and the wait would last for ever. So the socket's level is checked first (poll, no
// timeout); what comes after that check raises a new edge, which finds this wait queued.
asio::awaitable<PgConnection::Ready> PgConnection::wait(bool write, Deadline deadline) {
  if (!socket_.is_open()) co_return Ready::failed;
  pollfd level{socket_.native_handle(), static_cast<short>(write ? POLLOUT : POLLIN), 0};
  if (::poll(&level, 1, 0) > 0) co_return (level.revents & POLLNVAL) ? Ready::failed : Ready::yes;
  if (std::chrono::steady_clock::now() >= deadline) co_return Ready::timed_out;
  const auto generation = ++wait_generation_;
  guard_.expires_at(deadline);
  guard_.async_wait([weak = weak_from_this(), generation](boost::system::error_code ec) {
    auto self = weak.lock();
    if (ec || !self || self->wait_generation_ != generation) return;  // that wait is over already
    boost::system::error_code ignored;
    self->socket_.cancel(ignored);
  });
  auto [ec] = co_await socket_.async_wait(write ? Descriptor::wait_write : Descriptor::wait_read, asio::as_tuple(asio::use_awaitable));
  ++wait_generation_;
  guard_.cancel();
  if (!ec) co_return Ready::yes;
  co_return std::chrono::steady_clock::now() >= deadline ? Ready::timed_out : Ready::failed;
}

asio::awaitable<result<void>> PgConnection::connect() {
  close();
  const auto deadline = std::chrono::steady_clock::now() + connect_timeout_;
  conn_ = PQconnectStart(url_.c_str());
  if (!conn_ || PQstatus(conn_) == CONNECTION_BAD) co_return fail("cannot connect");
  PQsetnonblocking(conn_, 1);
  auto step = PGRES_POLLING_WRITING;  // as libpq's documentation says to begin
  for (;;) {
    watch_socket();
    if (step == PGRES_POLLING_OK) break;
    if (step == PGRES_POLLING_FAILED) co_return fail("cannot connect");
    const auto ready = co_await wait(step == PGRES_POLLING_WRITING, deadline);
    if (ready == Ready::timed_out) co_return fail("no connection within " + std::to_string(connect_timeout_.count()) + " ms");
    if (ready == Ready::failed) co_return fail("cannot connect");
    step = PQconnectPoll(conn_);
  }
  ++connects_;
  co_return result<void>{};
}

asio::awaitable<result<PgRows>> PgConnection::run(const std::string& sql, const Params& params, Deadline deadline) {
  int sent = 0;
  if (params.empty()) {
    sent = PQsendQuery(conn_, sql.c_str());
  } else {
    std::vector<const char*> values;
    std::vector<int> lengths;
    for (const auto& p : params) {
      values.push_back(p.c_str());
      lengths.push_back(static_cast<int>(p.size()));
    }
    sent = PQsendQueryParams(conn_, sql.c_str(), static_cast<int>(params.size()), nullptr, values.data(), lengths.data(), nullptr, 0);
  }
  if (!sent) co_return fail("cannot send a statement");
  for (int flushed = PQflush(conn_); flushed != 0; flushed = PQflush(conn_)) {
    if (flushed < 0) co_return fail("cannot send a statement");
    const auto ready = co_await wait(true, deadline);
    if (ready == Ready::timed_out) co_return fail(no_answer());
    if (ready == Ready::failed || !PQconsumeInput(conn_)) co_return fail("cannot send a statement");
  }
  OwnedResult last;
  std::string statement_error;
  for (;;) {
    if (!PQconsumeInput(conn_) || broken()) co_return fail("lost the connection");
    bool done = false;
    // (PQisBusy is false on a broken connection too; PQgetResult would then wait in poll(), blocking the thread.)
    while (!done && !broken() && !PQisBusy(conn_)) {
      OwnedResult r(PQgetResult(conn_));
      if (!r) done = true;
      else if (PQresultStatus(r.get()) == PGRES_FATAL_ERROR && statement_error.empty()) statement_error = trimmed(PQresultErrorMessage(r.get()));
      else if (r) last = std::move(r);
    }
    if (done) break;
    if (broken()) co_return fail("lost the connection");
    const auto ready = co_await wait(false, deadline);
    if (ready == Ready::timed_out) co_return fail(no_answer());
    if (ready == Ready::failed) co_return fail("lost the connection");
  }
  while (PGnotify* n = PQnotifies(conn_)) {
    PQfreemem(n);
    notified_ = true;
  }
  if (PQstatus(conn_) == CONNECTION_BAD) co_return fail("lost the connection");
  if (!statement_error.empty()) {
    last_error_ = "PostgreSQL: " + statement_error;
    co_return make_error(errc::unavailable, last_error_);
  }
  co_return PgRows(last.release());
}

std::string PgConnection::no_answer() const { return "no answer within " + std::to_string(statement_timeout_.count()) + " ms"; }

asio::awaitable<result<PgRows>> PgConnection::run_query(std::string sql, Params params) {
  const auto self = shared_from_this();
  const auto turn = co_await turns_.take(std::chrono::steady_clock::now() + connect_timeout_ + statement_timeout_);
  if (!turn) co_return make_error(errc::unavailable, "PostgreSQL: the connection stayed busy");
  if (!conn_) {
    auto up = co_await connect();
    if (!up) co_return up.error();
  }
  co_return co_await run(sql, params, std::chrono::steady_clock::now() + statement_timeout_);
}

asio::awaitable<result<bool>> PgConnection::wait_notification(Millis max) {
  const auto self = shared_from_this();
  const auto deadline = std::chrono::steady_clock::now() + max;
  const auto turn = co_await turns_.take(deadline);
  if (!turn) co_return false;
  for (;;) {
    if (notified_) {
      notified_ = false;
      co_return true;
    }
    if (!conn_) co_return fail("not connected");
    if (!PQconsumeInput(conn_) || broken()) co_return fail("lost the connection");
    while (PGnotify* n = PQnotifies(conn_)) {
      PQfreemem(n);
      notified_ = true;
    }
    if (notified_) continue;
    const auto ready = co_await wait(false, deadline);
    if (ready == Ready::timed_out) co_return false;
    if (ready == Ready::failed) co_return fail("lost the connection");
  }
}

result<PgRows> query_blocking(const std::string& url, const std::string& sql, const Params& params, Millis timeout) {
  const std::string seconds = std::to_string(std::max<std::int64_t>(2, (timeout.count() + 999) / 1000));
  const char* keys[] = {"dbname", "connect_timeout", nullptr};
  const char* values[] = {url.c_str(), seconds.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, 1);
  struct Finish {
    PGconn* c;
    ~Finish() { PQfinish(c); }
  } finish{conn};
  const std::string where = "PostgreSQL (" + text::redact_url(url) + "): ";
  if (!conn || PQstatus(conn) != CONNECTION_OK) return make_error(errc::unavailable, where + "cannot connect: " + trimmed(conn ? PQerrorMessage(conn) : nullptr));
  std::vector<const char*> v;
  for (const auto& p : params) v.push_back(p.c_str());
  OwnedResult r(params.empty() ? PQexec(conn, sql.c_str()) : PQexecParams(conn, sql.c_str(), static_cast<int>(v.size()), nullptr, v.data(), nullptr, nullptr, 0));
  const auto status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    return make_error(errc::unavailable, where + trimmed(r ? PQresultErrorMessage(r.get()) : PQerrorMessage(conn)));
  }
  return PgRows(r.release());
}

}  // namespace switchyard::postgres
