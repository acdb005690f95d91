#pragma once
// A small leveled logger with an injected sink (stderr by default). Owned by
// whoever composes the program and passed by reference; no global logger.
#include <functional>
#include <string>
#include <string_view>

namespace switchyard::observability {

enum class LogLevel { debug = 0, info = 1, warn = 2, error = 3, off = 4 };

class Logger {
 public:
  using Sink = std::function<void(std::string_view line)>;

  explicit Logger(LogLevel min_level = LogLevel::info, Sink sink = {});

  bool enabled(LogLevel level) const noexcept { return level >= min_level_; }
  void log(LogLevel level, std::string_view message);
  void debug(std::string_view m) { log(LogLevel::debug, m); }
  void info(std::string_view m) { log(LogLevel::info, m); }
  void warn(std::string_view m) { log(LogLevel::warn, m); }
  void error(std::string_view m) { log(LogLevel::error, m); }

 private:
  LogLevel min_level_;
  Sink sink_;
  std::string line_;  // reused buffer
};

LogLevel parse_log_level(std::string_view name, LogLevel fallback);

}  // namespace switchyard::observability
