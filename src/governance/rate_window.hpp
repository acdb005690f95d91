#pragma once
// The windows a rate limit is counted in, sans-io: time comes in as
// milliseconds (wall clock, so that counts restored from the ledger line up).
//   TokenBucket: per minute; holds up to the minute's amount, refills
//     continuously, so a burst of the whole minute's amount is allowed.
//   SlidingWindow: per hour and per day; two fixed buckets, the previous one
//     weighted by how much of it still overlaps the window.
// Both take a cost (1 for a request, tokens for a token limit), can give
// some back (a token reservation larger than what the answer used), and may
// go over their limit when an answer used more than was reserved (the next
// requests then wait).
#include <array>
#include <cstdint>
#include <optional>

namespace switchyard::governance {

using Ms = std::int64_t;  // milliseconds since the epoch (UTC)

class TokenBucket {
 public:
  TokenBucket(std::uint64_t per_window, Ms window);
  // nullopt: `cost` fits now; else how long until it does (never: cost > limit, see fits_ever).
  // Never longer than the window: an empty bucket is full again after it.
  std::optional<Ms> wait_for(double cost, Ms now);
  bool fits_ever(double cost) const noexcept { return cost <= capacity_; }
  void take(double cost, Ms now);
  // What was used before a restart: taken now, at most the whole bucket.
  void preload(double cost, Ms now);
  void give_back(double cost, Ms now);
  std::uint64_t limit() const noexcept { return static_cast<std::uint64_t>(capacity_); }
  std::uint64_t remaining(Ms now);
  Ms reset_in(Ms now);  // until it is full again

 private:
  void refill(Ms now);
  double capacity_;
  double per_ms_;
  double tokens_;
  Ms last_ = 0;
  bool started_ = false;
};

// Per hour and per day: the window is cut into kSlots fixed slots (a minute
// of an hour, 24 minutes of a day). What was taken in a slot leaves the
// window as soon as that slot's start is a whole window old, so
//   - a client is never refused past what an exact sliding window would
//     refuse (everything counted was taken inside the exact window), and
//   - never told to wait longer than the window;
// the price is that up to one slot's worth may pass beyond the limit
// (what was taken in the slot that straddles the window's edge, counted out
// at the slot's start).
class SlidingWindow {
 public:
  static constexpr int kSlots = 60;
  SlidingWindow(std::uint64_t limit, Ms window);
  std::optional<Ms> wait_for(double cost, Ms now);
  bool fits_ever(double cost) const noexcept { return cost <= limit_; }
  void take(double cost, Ms now);
  void give_back(double cost, Ms now);
  std::uint64_t limit() const noexcept { return static_cast<std::uint64_t>(limit_); }
  std::uint64_t remaining(Ms now);
  Ms reset_in(Ms now);  // until what is counted now has left the window
  // What was used before a restart, at the time it was used (`at`, within the
  // window before `now`): it counts as if it had been taken then.
  void preload(double cost, Ms at, Ms now);
  Ms slot_length() const noexcept { return slot_; }

 private:
  void roll(Ms now);
  double count() const noexcept;
  double limit_;
  Ms slot_;
  Ms newest_ = 0;                      // the slot index of slots_[newest_ % kSlots]
  std::array<double, kSlots> slots_{};  // the last kSlots slots, by index % kSlots
  double total_ = 0;                    // their sum
};

}  // namespace switchyard::governance
