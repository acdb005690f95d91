#pragma once
// A small leveled logger with an injected sink (a LogWriter in the daemon:
// never a system call on the io thread). Owned by whoever composes the
// program and passed by reference; no global logger. Lines are logfmt
// (`<time> <level> <message> key=value ...`) or one JSON object per line for
// log shippers; fields are escaped so a client's text cannot forge a line.
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <variant>

namespace switchyard::observability {

class LogWriter;

enum class LogLevel { debug = 0, info = 1, warn = 2, error = 3, off = 4 };
enum class LogFormat { logfmt, json };

// A field's value; none (or an empty text) is left out of a logfmt line and null in JSON.
struct LogField {
  using Value = std::variant<std::monostate, std::string_view, std::int64_t, double>;
  std::string_view key;
  Value value;
};

class Logger {
 public:
  using Sink = std::function<void(std::string_view line)>;

  // Without a sink: stderr, written at once (tools and tests; the daemon uses a LogWriter).
  explicit Logger(LogLevel min_level = LogLevel::info, Sink sink = {});
  Logger(LogLevel min_level, LogWriter& writer);

  void set_format(LogFormat f) noexcept { format_ = f; }
  LogFormat format() const noexcept { return format_; }
  bool enabled(LogLevel level) const noexcept { return level >= min_level_; }
  LogLevel min_level() const noexcept { return min_level_; }
  void log(LogLevel level, std::string_view message) { record(level, message, {}); }
  // A message with fields: `key=value` pairs in logfmt, members in JSON.
  void record(LogLevel level, std::string_view message, std::initializer_list<LogField> fields);
  void debug(std::string_view m) { log(LogLevel::debug, m); }
  void info(std::string_view m) { log(LogLevel::info, m); }
  void warn(std::string_view m) { log(LogLevel::warn, m); }
  void error(std::string_view m) { log(LogLevel::error, m); }

  // Lines the writer dropped because its reader was too slow (0 without a LogWriter).
  std::uint64_t dropped() const noexcept;

 private:
  LogLevel min_level_;
  Sink sink_;
  LogWriter* writer_ = nullptr;
  LogFormat format_ = LogFormat::logfmt;
  std::string line_;  // reused buffer
};

LogLevel parse_log_level(std::string_view name, LogLevel fallback);

}  // namespace switchyard::observability
