#pragma once
// The spans waiting for the exporter: a bounded multi-producer queue (every
// reactor pushes, the exporter's thread pops) without a lock: one
// compare-and-swap a push (D. Vyukov's bounded MPMC ring). Full: the push
// fails and the caller counts the span dropped; it never blocks or grows.
#include <atomic>
#include <bit>
#include <cstddef>
#include <memory>
#include <optional>

#include "telemetry/span.hpp"

namespace switchyard::telemetry {

class SpanQueue {
 public:
  explicit SpanQueue(std::size_t capacity)
      : mask_(std::bit_ceil(std::max<std::size_t>(capacity, 2)) - 1), cells_(std::make_unique<Cell[]>(mask_ + 1)), capacity_(capacity) {
    for (std::size_t i = 0; i <= mask_; ++i) cells_[i].seq.store(i, std::memory_order_relaxed);
  }
  SpanQueue(const SpanQueue&) = delete;
  SpanQueue& operator=(const SpanQueue&) = delete;

  // False when full (capacity as configured, not the ring's power of two).
  bool push(Span&& s) noexcept {
    std::size_t pos = tail_.load(std::memory_order_relaxed);
    for (;;) {
      if (pos - head_.load(std::memory_order_acquire) >= capacity_) return false;
      Cell& c = cells_[pos & mask_];
      const std::size_t seq = c.seq.load(std::memory_order_acquire);
      const auto diff = static_cast<std::ptrdiff_t>(seq) - static_cast<std::ptrdiff_t>(pos);
      if (diff == 0) {
        if (tail_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
          c.span = std::move(s);
          c.seq.store(pos + 1, std::memory_order_release);
          return true;
        }
      } else if (diff < 0) {
        return false;  // the ring is full
      } else {
        pos = tail_.load(std::memory_order_relaxed);
      }
    }
  }

  // One consumer (the exporter's thread).
  std::optional<Span> pop() noexcept {
    const std::size_t pos = head_.load(std::memory_order_relaxed);
    Cell& c = cells_[pos & mask_];
    const std::size_t seq = c.seq.load(std::memory_order_acquire);
    if (static_cast<std::ptrdiff_t>(seq) - static_cast<std::ptrdiff_t>(pos + 1) < 0) return std::nullopt;
    std::optional<Span> out(std::move(c.span));
    c.span = Span{};
    c.seq.store(pos + mask_ + 1, std::memory_order_release);
    head_.store(pos + 1, std::memory_order_release);
    return out;
  }

  std::size_t size() const noexcept {
    const std::size_t t = tail_.load(std::memory_order_acquire), h = head_.load(std::memory_order_acquire);
    return t > h ? t - h : 0;
  }

 private:
  struct Cell {
    std::atomic<std::size_t> seq{0};
    Span span;
  };
  const std::size_t mask_;
  std::unique_ptr<Cell[]> cells_;
  const std::size_t capacity_;
  alignas(64) std::atomic<std::size_t> head_{0};
  alignas(64) std::atomic<std::size_t> tail_{0};
};

}  // namespace switchyard::telemetry
