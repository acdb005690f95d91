#pragma once
// A counter with one writer (the reactor that owns it) and any number of
// readers (a /metrics scrape, the dashboard, on another thread): a relaxed
// atomic, so a reader never sees a torn value and the writer pays what a
// plain add costs (a load and a store, no locked instruction). Copyable, so
// a structure of counters can be copied as a snapshot or carried over by a
// reload. Not for several writers: use fetch_add (std::atomic) for that.
#include <atomic>

namespace switchyard::observability {

template <class T>
class RelaxedCounter {
 public:
  RelaxedCounter(T v = T{}) noexcept : v_(v) {}
  RelaxedCounter(const RelaxedCounter& o) noexcept : v_(o.get()) {}
  RelaxedCounter& operator=(const RelaxedCounter& o) noexcept {
    v_.store(o.get(), std::memory_order_relaxed);
    return *this;
  }
  RelaxedCounter& operator=(T v) noexcept {
    v_.store(v, std::memory_order_relaxed);
    return *this;
  }
  RelaxedCounter& operator+=(T n) noexcept {
    v_.store(get() + n, std::memory_order_relaxed);
    return *this;
  }
  RelaxedCounter& operator++() noexcept { return *this += T{1}; }
  T get() const noexcept { return v_.load(std::memory_order_relaxed); }
  operator T() const noexcept { return get(); }

 private:
  std::atomic<T> v_;
};

}  // namespace switchyard::observability
