#include "observability/log_writer.hpp"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace switchyard::observability {

namespace {
std::size_t power_of_two_at_least(std::size_t n) {
  std::size_t p = 4096;
  while (p < n) p <<= 1;
  return p;
}
}  // namespace

LogWriter::LogWriter(int fd, std::size_t capacity, std::chrono::milliseconds flush_interval)
    : fd_(fd), ring_(power_of_two_at_least(capacity)), mask_(ring_.size() - 1), flush_interval_(flush_interval),
      thread_([this] { run(); }) {}

LogWriter::~LogWriter() { stop(); }

std::uint64_t LogWriter::stop() {
  if (!thread_.joinable()) return lost_at_stop_;
  const std::uint64_t before = dropped();
  stopping_.store(true, std::memory_order_release);
  wake_.notify_one();
  thread_.join();
  lost_at_stop_ = dropped() - before;
  return lost_at_stop_;
}

bool LogWriter::write(std::string_view line) noexcept {
  if (stopping_.load(std::memory_order_relaxed)) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  const std::uint64_t head = head_.load(std::memory_order_relaxed);
  const std::uint64_t used = head - tail_.load(std::memory_order_acquire);
  if (line.size() > ring_.size() - used) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  const std::size_t at = static_cast<std::size_t>(head) & mask_;
  const std::size_t first = std::min(line.size(), ring_.size() - at);
  std::memcpy(ring_.data() + at, line.data(), first);
  std::memcpy(ring_.data(), line.data() + first, line.size() - first);
  head_.store(head + line.size(), std::memory_order_release);
  // Half full: wake the writer now rather than at its next tick. (A wake-up
  // lost to the race with its sleep only waits for that tick.)
  if (used + line.size() >= ring_.size() / 2 && !woken_.exchange(true, std::memory_order_acq_rel)) wake_.notify_one();
  return true;
}

bool LogWriter::drain(std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    const std::uint64_t tail = tail_.load(std::memory_order_relaxed);
    const std::uint64_t head = head_.load(std::memory_order_acquire);
    if (head == tail) return true;
    const std::size_t at = static_cast<std::size_t>(tail) & mask_;
    const std::size_t n = std::min<std::uint64_t>(head - tail, ring_.size() - at);
    // Waits for the descriptor with a bound, so that a reader that stopped
    // reading holds this thread no longer than the deadline when stopping.
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{fd_, POLLOUT, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(std::max<std::int64_t>(0, std::min<std::int64_t>(left.count(), 100))));
    if (ready < 0 && errno != EINTR) return false;
    if (ready <= 0) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      // Unbounded while running; once stopping, the final drain has its deadline.
      if (deadline == std::chrono::steady_clock::time_point::max() && stopping_.load(std::memory_order_acquire)) return false;
      continue;
    }
    // POLLOUT on a pipe promises PIPE_BUF bytes: a write of that size does not block.
    const ssize_t w = ::write(fd_, ring_.data() + at, std::min<std::size_t>(n, PIPE_BUF));
    if (w < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      // The descriptor is gone (closed, EPIPE): what is queued cannot be written.
      discard(tail, head);
      return false;
    }
    written_.fetch_add(static_cast<std::uint64_t>(w), std::memory_order_relaxed);
    tail_.store(tail + static_cast<std::uint64_t>(w), std::memory_order_release);
  }
}

// Lines that will never be written: counted as dropped, their bytes released.
void LogWriter::discard(std::uint64_t from, std::uint64_t to) {
  std::uint64_t lines = 0;
  for (std::uint64_t i = from; i < to; ++i) lines += ring_[static_cast<std::size_t>(i) & mask_] == '\n';
  dropped_.fetch_add(std::max<std::uint64_t>(lines, from < to ? 1 : 0), std::memory_order_relaxed);
  tail_.store(to, std::memory_order_release);
}

void LogWriter::run() {
  for (;;) {
    {
      std::unique_lock lock(sleep_mutex_);
      wake_.wait_for(lock, flush_interval_, [this] {
        return woken_.load(std::memory_order_acquire) || stopping_.load(std::memory_order_acquire);
      });
    }
    woken_.store(false, std::memory_order_release);
    if (stopping_.load(std::memory_order_acquire)) {
      if (!drain(std::chrono::steady_clock::now() + kStopDeadline)) {
        discard(tail_.load(std::memory_order_relaxed), head_.load(std::memory_order_acquire));
      }
      return;
    }
    // While running, a stuck reader is waited for as long as it takes: the
    // ring fills meanwhile and write() drops, the io thread never waits.
    drain(std::chrono::steady_clock::time_point::max());
  }
}

}  // namespace switchyard::observability
