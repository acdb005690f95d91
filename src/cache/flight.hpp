#pragma once
// One answer being fetched from a provider for a response-cache key. The
// request that started it (the leader) went upstream; identical requests that
// arrive meanwhile (followers) read the same answer as it arrives, from its
// start: a hundred identical requests at once cost one provider call. The
// fetch runs in a coroutine of its own (Gateway), so any reader may leave,
// the leader's client included, without disturbing the others; when the last
// reader leaves an unfinished fetch, the fetch is cancelled.
//
// Memory: a stream's chunks are kept (they are what the cache stores) up to
// `max_bytes`; past that the answer will not be stored, no new reader may
// join, and chunks every reader has passed are freed. The fetch waits while
// the slowest streaming reader is more than kMaxLag bytes behind, so a slow
// client still holds back the provider (TCP back-pressure) as without the cache.
#include <switchyard/chat.hpp>

#include "cache/completion_chunks.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace switchyard::cache {

class Flight {
 public:
  static constexpr std::size_t kMaxLag = 1024 * 1024;
  enum class State { running, done, failed };

  // `inflight` counts the bytes every flight of the cache holds (shared by every worker's flights); past
  // `inflight_cap` a flight stops keeping its answer (oversized), so that
  // answers being fetched never hold more than that together.
  Flight(boost::asio::any_io_executor ex, bool streaming, std::size_t max_bytes, std::shared_ptr<std::atomic<std::size_t>> inflight = nullptr,
         std::size_t inflight_cap = SIZE_MAX);
  ~Flight();
  Flight(const Flight&) = delete;
  Flight& operator=(const Flight&) = delete;

  // ---- the fetch's side
  // A stream's first chunk is here (chunks follow with push).
  void open(std::string provider, std::string model, bool native, std::chrono::nanoseconds upstream_time);
  void push(std::string_view chunk);
  void end(const Usage& used, double cost_usd);  // a stream's clean end
  void complete(ChatResponse whole);             // a whole answer
  void fail(Error e);
  // Back-pressure: returns once the slowest streaming reader is within kMaxLag (or none is left).
  boost::asio::awaitable<void> room();
  boost::asio::cancellation_slot cancel_slot() { return cancel_.slot(); }
  // A stream's live usage and cost (what the leader's request has used so far).
  void set_usage(const Usage& used, double cost_usd) noexcept {
    usage_ = used;
    cost_ = cost_usd;
  }

  // ---- the readers' side
  // A reader registers while it reads; `streaming`: it reads chunk by chunk (counts for back-pressure).
  struct Reader {
    bool streaming = false;
    std::size_t next = 0;   // index of the next chunk it will read
    std::size_t bytes = 0;  // of the chunks before it
  };
  void attach(Reader* r);
  void detach(Reader* r);         // the last one leaving an unfinished fetch cancels it
  void advanced(Reader& r);       // r.next moved on: frees passed chunks, wakes the fetch

  // Waits until there are more than `have` chunks or the fetch ended; false
  // when the waiting coroutine itself was cancelled (its client left).
  boost::asio::awaitable<bool> wait(std::size_t have);

  State state() const noexcept { return state_; }
  bool streaming() const noexcept { return streaming_; }
  bool opened() const noexcept { return opened_; }
  const Error& error() const noexcept { return error_; }
  std::size_t chunk_count() const noexcept { return chunks_.size(); }
  std::string_view chunk(std::size_t i) const noexcept { return chunks_[i]; }
  const std::deque<std::string>& chunks() const noexcept { return chunks_; }
  const UsageMarks& marks() const noexcept { return marks_; }
  bool oversized() const noexcept { return oversized_; }  // past max_bytes: not stored, not shared
  const ChatResponse& whole() const noexcept { return whole_; }
  const std::string& provider() const noexcept { return provider_; }
  const std::string& model() const noexcept { return model_; }
  bool native() const noexcept { return native_; }
  std::chrono::nanoseconds upstream_time() const noexcept { return upstream_time_; }
  const Usage& usage() const noexcept { return usage_; }
  double cost_usd() const noexcept { return cost_; }
  std::size_t bytes() const noexcept { return bytes_; }

 private:
  void notify();
  const Reader* slowest() const noexcept;  // the streaming reader furthest behind (null: none)

  bool streaming_;
  std::size_t max_bytes_;
  State state_ = State::running;
  bool opened_ = false;
  bool oversized_ = false;
  Error error_;
  std::deque<std::string> chunks_;
  UsageMarks marks_;  // OpenAI chunks (not native ones): where the usage is
  std::size_t bytes_ = 0;      // of every chunk pushed
  std::shared_ptr<std::atomic<std::size_t>> inflight_;  // bytes held by every flight of the cache
  std::size_t inflight_cap_;
  std::size_t held_ = 0;       // bytes this flight holds (counted in *inflight_)
  void hold(std::size_t n);
  void let_go(std::size_t n);
  std::size_t released_ = 0;   // chunks before this index were freed (oversized)
  ChatResponse whole_;
  std::string provider_, model_;
  bool native_ = false;
  std::chrono::nanoseconds upstream_time_{0};
  Usage usage_;
  double cost_ = 0;
  std::vector<Reader*> readers_;
  boost::asio::steady_timer news_;  // readers wait on it; cancel() wakes them all
  boost::asio::steady_timer drained_;  // the fetch waits on it for room
  bool waiting_room_ = false;
  boost::asio::cancellation_signal cancel_;
};

}  // namespace switchyard::cache
