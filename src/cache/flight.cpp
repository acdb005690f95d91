#include "cache/flight.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace switchyard::cache {

namespace asio = boost::asio;

Flight::Flight(asio::any_io_executor ex, bool streaming, std::size_t max_bytes, std::shared_ptr<std::atomic<std::size_t>> inflight,
               std::size_t inflight_cap)
    : streaming_(streaming), max_bytes_(max_bytes), inflight_(inflight ? std::move(inflight) : std::make_shared<std::atomic<std::size_t>>(0)),
      inflight_cap_(inflight_cap), news_(ex, asio::steady_timer::time_point::max()), drained_(ex, asio::steady_timer::time_point::max()) {}

Flight::~Flight() { let_go(held_); }

void Flight::hold(std::size_t n) {
  held_ += n;
  const auto together = inflight_->fetch_add(n, std::memory_order_relaxed) + n;
  if (!oversized_ && (bytes_ > max_bytes_ || together > inflight_cap_)) oversized_ = true;  // neither stored nor shared from now on
}

void Flight::let_go(std::size_t n) {
  n = std::min(n, held_);
  held_ -= n;
  inflight_->fetch_sub(n, std::memory_order_relaxed);  // n <= held_, counted in it
}

void Flight::notify() { news_.cancel(); }

void Flight::open(std::string provider, std::string model, bool native, std::chrono::nanoseconds upstream_time) {
  provider_ = std::move(provider);
  model_ = std::move(model);
  native_ = native;
  upstream_time_ = upstream_time;
  opened_ = true;
  notify();
}

void Flight::push(std::string_view chunk) {
  if (!native_) marks_.note(chunks_.size(), chunk);
  chunks_.emplace_back(chunk);
  bytes_ += chunk.size();
  hold(chunk.size());
  notify();
}

void Flight::end(const Usage& used, double cost_usd) {
  usage_ = used;
  cost_ = cost_usd;
  state_ = State::done;
  notify();
}

void Flight::complete(ChatResponse whole) {
  provider_ = whole.provider;
  model_ = whole.model;
  native_ = whole.native;
  upstream_time_ = whole.upstream_time;
  usage_ = whole.usage;
  cost_ = whole.cost_usd;
  bytes_ = whole.body.size();
  hold(bytes_);
  whole_ = std::move(whole);
  opened_ = true;
  state_ = State::done;
  notify();
}

void Flight::fail(Error e) {
  error_ = std::move(e);
  state_ = State::failed;
  notify();
  drained_.cancel();
}

const Flight::Reader* Flight::slowest() const noexcept {
  const Reader* low = nullptr;
  for (const Reader* r : readers_) {
    if (r->streaming && (!low || r->bytes < low->bytes)) low = r;
  }
  return low;
}

asio::awaitable<void> Flight::room() {
  for (;;) {
    const Reader* low = slowest();
    if (!low || bytes_ - low->bytes <= kMaxLag || state_ != State::running) co_return;
    waiting_room_ = true;
    boost::system::error_code ec;
    co_await drained_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    waiting_room_ = false;
    if ((co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none) co_return;
  }
}

void Flight::attach(Reader* r) { readers_.push_back(r); }

void Flight::detach(Reader* r) {
  std::erase(readers_, r);
  if (waiting_room_) drained_.cancel();
  if (readers_.empty() && state_ == State::running) cancel_.emit(asio::cancellation_type::terminal);
}

void Flight::advanced(Reader& r) {
  if (oversized_) {
    // Nobody will store these: free what every reader has passed.
    bool whole_readers = false;
    std::size_t low = chunks_.size();
    for (const Reader* x : readers_) {
      if (x->streaming) low = std::min(low, x->next);
      else whole_readers = true;
    }
    if (!whole_readers) {
      // (the last one handed out is still being read)
      for (; released_ + 1 < low; ++released_) {
        let_go(chunks_[released_].size());
        std::string().swap(chunks_[released_]);
      }
    }
  }
  if (waiting_room_ && (bytes_ - r.bytes) <= kMaxLag) drained_.cancel();
}

asio::awaitable<bool> Flight::wait(std::size_t have) {
  while (state_ == State::running && chunks_.size() <= have) {
    boost::system::error_code ec;
    co_await news_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if ((co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none) co_return false;
  }
  co_return true;
}

}  // namespace switchyard::cache
