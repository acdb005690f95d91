#include "governance/rate_window.hpp"

#include <algorithm>
#include <cmath>

namespace switchyard::governance {

TokenBucket::TokenBucket(std::uint64_t per_window, Ms window)
    : capacity_(static_cast<double>(per_window)), per_ms_(static_cast<double>(per_window) / static_cast<double>(window)),
      tokens_(static_cast<double>(per_window)) {}

void TokenBucket::refill(Ms now) {
  if (!started_) {
    started_ = true;
    last_ = now;
    return;
  }
  if (now > last_) tokens_ = std::min(capacity_, tokens_ + static_cast<double>(now - last_) * per_ms_);
  last_ = std::max(last_, now);
}

std::optional<Ms> TokenBucket::wait_for(double cost, Ms now) {
  refill(now);
  if (cost <= tokens_) return std::nullopt;
  const double window = capacity_ / per_ms_;
  return static_cast<Ms>(std::ceil(std::min((cost - tokens_) / per_ms_, window)));
}

void TokenBucket::preload(double cost, Ms now) {
  refill(now);
  tokens_ = std::max(std::min(tokens_, 0.0), tokens_ - cost);
}

void TokenBucket::take(double cost, Ms now) {
  refill(now);
  tokens_ -= cost;
}

void TokenBucket::give_back(double cost, Ms now) {
  refill(now);
  tokens_ = std::min(capacity_, tokens_ + cost);
}

std::uint64_t TokenBucket::remaining(Ms now) {
  refill(now);
  return tokens_ <= 0 ? 0 : static_cast<std::uint64_t>(std::floor(tokens_));
}

Ms TokenBucket::reset_in(Ms now) {
  refill(now);
  return tokens_ >= capacity_ ? 0 : static_cast<Ms>(std::ceil((capacity_ - tokens_) / per_ms_));
}

SlidingWindow::SlidingWindow(std::uint64_t limit, Ms window)
    : limit_(static_cast<double>(limit)), slot_(std::max<Ms>(1, window / kSlots)) {}

// Moves the newest slot to now's, clearing the slots that left the window on the way.
void SlidingWindow::roll(Ms now) {
  const Ms index = now / slot_;
  if (index <= newest_) return;
  if (index - newest_ >= kSlots) {
    slots_.fill(0);
    total_ = 0;
  } else {
    for (Ms i = newest_ + 1; i <= index; ++i) {
      double& v = slots_[static_cast<std::size_t>(i % kSlots)];
      total_ -= v;
      v = 0;
    }
    if (total_ < 0) total_ = 0;
  }
  newest_ = index;
}

double SlidingWindow::count() const noexcept { return total_; }

std::optional<Ms> SlidingWindow::wait_for(double cost, Ms now) {
  roll(now);
  double counted = count();
  if (counted + cost <= limit_ + 1e-9) return std::nullopt;
  // The oldest slots leave first: slot i leaves when now reaches (i + kSlots) * slot_.
  for (Ms i = newest_ - kSlots + 1; i <= newest_; ++i) {
    counted -= slots_[static_cast<std::size_t>((i % kSlots + kSlots) % kSlots)];
    if (counted + cost <= limit_ + 1e-9) return std::clamp<Ms>((i + kSlots) * slot_ - now, 1, kSlots * slot_);
  }
  return kSlots * slot_;  // cost alone over the limit: see fits_ever
}

void SlidingWindow::take(double cost, Ms now) {
  roll(now);
  slots_[static_cast<std::size_t>(newest_ % kSlots)] += cost;
  total_ += cost;
}

void SlidingWindow::give_back(double cost, Ms now) {
  roll(now);
  // From the newest slot back (a reservation was taken at most a request's duration ago).
  for (Ms i = newest_; i > newest_ - kSlots && cost > 0; --i) {
    double& v = slots_[static_cast<std::size_t>((i % kSlots + kSlots) % kSlots)];
    const double back = std::min(v, cost);
    v -= back;
    total_ -= back;
    cost -= back;
  }
}

void SlidingWindow::preload(double cost, Ms at, Ms now) {
  roll(now);
  const Ms index = std::min(at, now) / slot_;
  if (cost <= 0 || index <= newest_ - kSlots) return;  // already out of the window
  slots_[static_cast<std::size_t>((index % kSlots + kSlots) % kSlots)] += cost;
  total_ += cost;
}

std::uint64_t SlidingWindow::remaining(Ms now) {
  roll(now);
  const double left = limit_ - std::ceil(count() - 1e-9);
  return left <= 0 ? 0 : static_cast<std::uint64_t>(left);
}

Ms SlidingWindow::reset_in(Ms now) {
  roll(now);
  for (Ms i = newest_; i > newest_ - kSlots; --i) {
    if (slots_[static_cast<std::size_t>((i % kSlots + kSlots) % kSlots)] > 0) return (i + kSlots) * slot_ - now;
  }
  return 0;
}

}  // namespace switchyard::governance
