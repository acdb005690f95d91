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
#include <cstdint>
#include <optional>

namespace switchyard::governance {

using Ms = std::int64_t;  // milliseconds since the epoch (UTC)

class TokenBucket {
 public:
  TokenBucket(std::uint64_t per_window, Ms window);
  // nullopt: `cost` fits now; else how long until it does (never: cost > limit, see fits_ever).
  std::optional<Ms> wait_for(double cost, Ms now);
  bool fits_ever(double cost) const noexcept { return cost <= capacity_; }
  void take(double cost, Ms now);
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

class SlidingWindow {
 public:
  SlidingWindow(std::uint64_t limit, Ms window);
  std::optional<Ms> wait_for(double cost, Ms now);
  bool fits_ever(double cost) const noexcept { return cost <= limit_; }
  void take(double cost, Ms now);
  void give_back(double cost, Ms now);
  std::uint64_t limit() const noexcept { return static_cast<std::uint64_t>(limit_); }
  std::uint64_t remaining(Ms now);
  Ms reset_in(Ms now);  // until what is counted now has left the window

 private:
  void roll(Ms now);
  double estimate(Ms now) const;
  double limit_;
  Ms window_;
  Ms index_ = 0;  // the current bucket: now / window
  double previous_ = 0;
  double current_ = 0;
};

}  // namespace switchyard::governance
