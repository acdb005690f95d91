#include "observability/logger.hpp"

#include <charconv>
#include <chrono>
#include <cstdio>
#include <ctime>

#include "observability/log_writer.hpp"

namespace switchyard::observability {

namespace {

constexpr const char* kLevelNames[] = {"debug", "info", "warn", "error", "off"};

void append_time(std::string& out) {
  const auto now = std::chrono::system_clock::now();
  const auto t = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char stamp[64];
  const int n = std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                              tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  out.append(stamp, static_cast<std::size_t>(n));
}

// JSON string contents: quotes, backslashes and control characters escaped.
void append_json_text(std::string& out, std::string_view s) {
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      char esc[8];
      std::snprintf(esc, sizeof esc, "\\u%04x", u);
      out += esc;
    } else {
      out += c;
    }
  }
}

// A logfmt value: bare when it is one plain word, else quoted with quotes
// and backslashes escaped; control characters never reach the line.
void append_logfmt_text(std::string& out, std::string_view s) {
  bool plain = !s.empty();
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '"' || c == '=' || c == '\\') plain = false;
  }
  if (plain) {
    out += s;
    return;
  }
  out += '"';
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else {
      out += (u < 0x20 || u == 0x7f) ? '?' : c;
    }
  }
  out += '"';
}

// The message of a logfmt line: as it is, but for control characters (a
// newline in an upstream's error text would forge a line of its own), written \xNN.
void append_logfmt_message(std::string& out, std::string_view s) {
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      char esc[8];
      std::snprintf(esc, sizeof esc, "\\x%02x", u);
      out += esc;
    } else {
      out += c;
    }
  }
}

bool is_none(const LogField::Value& v) {
  const auto* s = std::get_if<std::string_view>(&v);
  return std::holds_alternative<std::monostate>(v) || (s && s->empty());
}

void append_number(std::string& out, const LogField::Value& v) {
  char num[32];
  char* end = num;
  if (const auto* i = std::get_if<std::int64_t>(&v)) end = std::to_chars(num, num + sizeof num, *i).ptr;
  else end = std::to_chars(num, num + sizeof num, std::get<double>(v), std::chars_format::general, 10).ptr;
  out.append(num, end);
}

}  // namespace

Logger::Logger(LogLevel min_level, Sink sink) : min_level_(min_level), sink_(std::move(sink)) {
  if (!sink_) {
    sink_ = [](std::string_view line) {
      std::fwrite(line.data(), 1, line.size(), stderr);
      std::fflush(stderr);
    };
  }
}

Logger::Logger(LogLevel min_level, LogWriter& writer)
    : min_level_(min_level), sink_([&writer](std::string_view line) { writer.write(line); }), writer_(&writer) {}

std::uint64_t Logger::dropped() const noexcept { return writer_ ? writer_->dropped() : 0; }

void Logger::record(LogLevel level, std::string_view message, std::initializer_list<LogField> fields) {
  if (!enabled(level)) return;
  line_.clear();
  const std::string_view level_name = kLevelNames[static_cast<int>(level)];
  if (format_ == LogFormat::json) {
    line_ += "{\"ts\":\"";
    append_time(line_);
    line_ += "\",\"level\":\"";
    line_ += level_name;
    line_ += "\",\"msg\":\"";
    append_json_text(line_, message);
    line_ += '"';
    for (const auto& f : fields) {
      line_ += ",\"";
      line_ += f.key;
      line_ += "\":";
      if (is_none(f.value)) {
        line_ += "null";
      } else if (const auto* s = std::get_if<std::string_view>(&f.value)) {
        line_ += '"';
        append_json_text(line_, *s);
        line_ += '"';
      } else {
        append_number(line_, f.value);
      }
    }
    line_ += "}\n";
  } else {
    append_time(line_);
    line_ += ' ';
    line_ += level_name;
    line_ += ' ';
    append_logfmt_message(line_, message);
    for (const auto& f : fields) {
      if (is_none(f.value)) continue;
      line_ += ' ';
      line_ += f.key;
      line_ += '=';
      if (const auto* s = std::get_if<std::string_view>(&f.value)) append_logfmt_text(line_, *s);
      else append_number(line_, f.value);
    }
    line_ += '\n';
  }
  sink_(line_);
}

LogLevel parse_log_level(std::string_view name, LogLevel fallback) {
  if (name == "debug") return LogLevel::debug;
  if (name == "info") return LogLevel::info;
  if (name == "warn") return LogLevel::warn;
  if (name == "error") return LogLevel::error;
  if (name == "off") return LogLevel::off;
  return fallback;
}

}  // namespace switchyard::observability
