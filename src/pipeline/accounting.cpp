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

Accounting::Accounting(observability::Logger* log, bool access_log) : log_(log), access_log_(access_log && log) {}

void Accounting::finished(const RequestLine& request, const RequestOutcome& o, Clock::duration took) const {
  if (!access_log_) return;
  using observability::LogField;
  const std::string method = loggable(request.method), path = loggable(request.path);
  const std::string target = o.provider.empty() ? std::string() : o.provider + '/' + o.target_model;
  const std::int64_t duration_us = std::chrono::duration_cast<std::chrono::microseconds>(took).count();
  auto count = [](std::int64_t n) { return n < 0 ? LogField::Value() : LogField::Value(n); };
  log_->record(observability::LogLevel::info, "request",
               {LogField{"method", method}, LogField{"path", path}, LogField{"status", std::int64_t{o.status}},
                LogField{"key", o.key}, LogField{"route", std::string_view(o.model)}, LogField{"target", std::string_view(target)},
                LogField{"tokens_in", count(o.input_tokens)}, LogField{"tokens_out", count(o.output_tokens)},
                LogField{"cost_usd", o.input_tokens < 0 ? LogField::Value() : LogField::Value(o.cost_usd)},
                LogField{"cache", o.cache}, LogField{"overhead_us", count(o.overhead_us)},
                LogField{"duration_us", duration_us}, LogField{"error", std::string_view(o.note)},
                LogField{"request_id", request.request_id}});
}

void Accounting::rejected(unsigned status, std::string_view request_id) const {
  if (!access_log_) return;
  using observability::LogField;
  log_->record(observability::LogLevel::info, "request rejected",
               {LogField{"status", std::int64_t{status}}, LogField{"request_id", request_id}});
}

}  // namespace switchyard::pipeline
