#pragma once
// A shared byte budget: what every connection together may hold of one kind
// of memory (request headers beyond the first read, parsed request JSON).
// One io_context, so a plain counter; components charge it through a
// Reservation, which gives its bytes back when it goes away.
#include <cstddef>
#include <utility>

namespace switchyard::server {

class MemoryBudget {
 public:
  explicit MemoryBudget(std::size_t limit) : limit_(limit) {}
  MemoryBudget(const MemoryBudget&) = delete;
  MemoryBudget& operator=(const MemoryBudget&) = delete;

  bool try_take(std::size_t n) noexcept {
    if (n > limit_ - used_) return false;
    used_ += n;
    return true;
  }
  void give_back(std::size_t n) noexcept { used_ -= n < used_ ? n : used_; }
  std::size_t used() const noexcept { return used_; }
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
  std::size_t used_ = 0;
};

}  // namespace switchyard::server
