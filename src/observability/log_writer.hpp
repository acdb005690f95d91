#pragma once
// Writes log lines to a file descriptor (stderr) from its own thread, so the
// io_context never makes a system call for a log line and never blocks on a
// slow reader (journald, a full terminal, a stuck log shipper). Lines go into
// a fixed ring of bytes (one producer, the io thread; one consumer, the
// writer; no lock, no allocation); the writer wakes every flush interval, or
// at once when the ring is half full, and writes what is there in as few
// write(2) calls as it can, as nginx's `access_log ... buffer= flush=`. A line
// that does not fit is dropped and counted (switchyard_log_dropped_total):
// the reactor never waits for the log.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

namespace switchyard::observability {

class LogWriter {
 public:
  static constexpr std::size_t kDefaultCapacity = 1024 * 1024;
  static constexpr std::chrono::milliseconds kDefaultFlushInterval{100};
  // When the writer stops, what it could not write within this long is dropped.
  static constexpr std::chrono::milliseconds kStopDeadline{1000};

  explicit LogWriter(int fd, std::size_t capacity = kDefaultCapacity,
                     std::chrono::milliseconds flush_interval = kDefaultFlushInterval);
  ~LogWriter();  // stop()

  // Writes what it holds (within kStopDeadline), then stops the thread.
  // Returns the lines that could not be written (also counted in dropped()).
  // Later write() calls drop. Idempotent.
  std::uint64_t stop();
  LogWriter(const LogWriter&) = delete;
  LogWriter& operator=(const LogWriter&) = delete;

  // Queues one line (with its newline); false when it was dropped.
  bool write(std::string_view line) noexcept;

  std::uint64_t dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }
  std::uint64_t written_bytes() const noexcept { return written_.load(std::memory_order_relaxed); }

 private:
  void run();
  // Writes what the ring holds; false when the descriptor did not take it before `deadline`.
  bool drain(std::chrono::steady_clock::time_point deadline);
  void discard(std::uint64_t from, std::uint64_t to);

  int fd_;
  std::vector<char> ring_;  // capacity: a power of two
  std::size_t mask_;
  std::chrono::milliseconds flush_interval_;
  std::atomic<std::uint64_t> head_{0};  // bytes queued so far (written by write())
  std::atomic<std::uint64_t> tail_{0};  // bytes written out so far (written by the writer)
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::uint64_t> written_{0};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> woken_{false};
  std::uint64_t lost_at_stop_ = 0;
  std::mutex sleep_mutex_;  // the writer's own sleep; write() never takes it
  std::condition_variable wake_;
  std::thread thread_;
};

}  // namespace switchyard::observability
