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
  return static_cast<Ms>(std::ceil((cost - tokens_) / per_ms_));
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

SlidingWindow::SlidingWindow(std::uint64_t limit, Ms window) : limit_(static_cast<double>(limit)), window_(window) {}

void SlidingWindow::roll(Ms now) {
  const Ms index = now / window_;
  if (index == index_) return;
  previous_ = index == index_ + 1 ? current_ : 0;
  current_ = 0;
  index_ = index;
}

double SlidingWindow::estimate(Ms now) const {
  const double elapsed = static_cast<double>(now - index_ * window_) / static_cast<double>(window_);
  return previous_ * (1.0 - elapsed) + current_;
}

std::optional<Ms> SlidingWindow::wait_for(double cost, Ms now) {
  roll(now);
  const double over = estimate(now) + cost - limit_;
  if (over <= 1e-9) return std::nullopt;
  const Ms into = now - index_ * window_;
  // Within this bucket, the previous bucket's weight falls by previous_/window_ each ms.
  if (previous_ > 0) {
    const Ms t = static_cast<Ms>(std::ceil(over * static_cast<double>(window_) / previous_));
    if (into + t <= window_) return t;
  }
  // After this bucket ends, it becomes the previous one, falling the same way.
  const Ms to_end = window_ - into;
  const double later_over = current_ + cost - limit_;
  if (later_over <= 0 || current_ <= 0) return to_end;
  return to_end + static_cast<Ms>(std::ceil(later_over * static_cast<double>(window_) / current_));
}

void SlidingWindow::take(double cost, Ms now) {
  roll(now);
  current_ += cost;
}

void SlidingWindow::give_back(double cost, Ms now) {
  roll(now);
  current_ = std::max(0.0, current_ - cost);
}

std::uint64_t SlidingWindow::remaining(Ms now) {
  roll(now);
  const double left = limit_ - std::ceil(estimate(now) - 1e-9);
  return left <= 0 ? 0 : static_cast<std::uint64_t>(left);
}

Ms SlidingWindow::reset_in(Ms now) {
  roll(now);
  const Ms to_end = window_ - (now - index_ * window_);
  if (current_ > 0) return to_end + window_;
  return previous_ > 0 ? to_end : 0;
}

}  // namespace switchyard::governance
