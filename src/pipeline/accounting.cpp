#include "pipeline/accounting.hpp"

#include <algorithm>

#include "observability/logger.hpp"

namespace switchyard::pipeline {

using Clock = std::chrono::steady_clock;

std::string loggable(std::string_view text) {
  std::string out(text.substr(0, 200));
  for (auto& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return out;
}

std::string access_log_line(const RequestLine& request, const RequestOutcome& outcome, Clock::duration took) {
  std::string line = "request method=";
  line += loggable(request.method);
  line += " path=";
  line += loggable(request.path);
  line += " status=" + std::to_string(outcome.status);
  if (!outcome.model.empty()) line += " model=" + outcome.model;
  if (!outcome.provider.empty()) line += " provider=" + outcome.provider;
  if (!outcome.note.empty()) line += " error=" + outcome.note;
  line += " duration_us=" + std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(took).count());
  line += " request_id=";
  line += request.request_id;
  return line;
}

Accounting::Accounting(observability::Logger* log, bool access_log, OverheadSink overhead)
    : log_(log), access_log_(access_log && log), overhead_(std::move(overhead)) {}

std::string Accounting::overhead(Clock::time_point read, std::chrono::nanoseconds upstream) const {
  const auto inside = std::max<Clock::duration>(Clock::duration::zero(), Clock::now() - read - upstream);
  if (overhead_) overhead_(inside);
  return std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(inside).count());
}

void Accounting::finished(const RequestLine& request, const RequestOutcome& outcome, Clock::duration took) const {
  if (access_log_) log_->info(access_log_line(request, outcome, took));
}

void Accounting::rejected(unsigned status, std::string_view request_id) const {
  if (access_log_) log_->info("request rejected status=" + std::to_string(status) + " request_id=" + std::string(request_id));
}

}  // namespace switchyard::pipeline
