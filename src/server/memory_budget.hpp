#pragma once
// A shared byte budget: what every connection together may hold of one kind
// of memory (request headers beyond the first read, parsed request JSON).
// One io_context, so a plain counter; components charge it through a
// Reservation, which gives its bytes back when it goes away.
#include <atomic>
#include <cstddef>
#include <utility>

namespace switchyard::server {

class MemoryBudget {
 public:
  explicit MemoryBudget(std::size_t limit) : limit_(limit) {}
  MemoryBudget(const MemoryBudget&) = delete;
  MemoryBudget& operator=(const MemoryBudget&) = delete;

  // Every worker's connections take from the same budget: compare-and-swap, no lock.
  bool try_take(std::size_t n) noexcept {
    auto used = used_.load(std::memory_order_relaxed);
    do {
      if (n > limit_ - used) return false;
    } while (!used_.compare_exchange_weak(used, used + n, std::memory_order_relaxed));
    return true;
  }
  void give_back(std::size_t n) noexcept {
    auto used = used_.load(std::memory_order_relaxed);
    while (!used_.compare_exchange_weak(used, n < used ? used - n : 0, std::memory_order_relaxed)) {
    }
  }
  std::size_t used() const noexcept { return used_.load(std::memory_order_relaxed); }
  std::size_t limit() const noexcept { return limit_; }

  // Bytes taken from a budget, given back on destruction.
  class Reservation {
   public:
    Reservation() = default;
    explicit Reservation(MemoryBudget& budget) : budget_(&budget) {}
    Reservation(Reservation&& o) noexcept : budget_(std::exchange(o.budget_, nullptr)), held_(std::exchange(o.held_, 0)) {}
    Reservation& operator=(Reservation&& o) noexcept {
      if (this != &o) {
        release();
        budget_ = std::exchange(o.budget_, nullptr);
        held_ = std::exchange(o.held_, 0);
      }
      return *this;
    }
    ~Reservation() { release(); }

    // Grows the reservation by n bytes; false (nothing taken) when the budget is spent.
    bool grow(std::size_t n) noexcept {
      if (!budget_ || !budget_->try_take(n)) return false;
      held_ += n;
      return true;
    }
    void release() noexcept {
      if (budget_ && held_) budget_->give_back(held_);
      held_ = 0;
    }
    std::size_t held() const noexcept { return held_; }

   private:
    MemoryBudget* budget_ = nullptr;
    std::size_t held_ = 0;
  };

 private:
  std::size_t limit_;
  std::atomic<std::size_t> used_{0};
};

// The front-end's memory budgets ([server] max_json_memory_bytes,
// max_header_memory_bytes, max_embeddings_memory_bytes), one set shared by
// every worker's server.
struct FrontBudgets {
  FrontBudgets(std::size_t json, std::size_t headers, std::size_t embeddings) : parse(json), header(headers), embeddings(embeddings) {}
  MemoryBudget parse;       // parsed request JSON of every connection together
  MemoryBudget header;      // request heads over 2 KiB being read, every connection together
  MemoryBudget embeddings;  // embeddings answers being made and written
};

}  // namespace switchyard::server
