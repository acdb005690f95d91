#pragma once
// The last stage of every request: what it cost and how it ended. Records the
// time spent inside the gateway (overhead histogram) and writes the access-log
// line (client-supplied fields made loggable; never a key or a body). Tokens
// and spend per target are counted by the router as answers end
// (TargetRegistry); the usage ledger plugs in here (issue: governance).
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace switchyard::observability {
class Logger;
}

namespace switchyard::pipeline {

// What one request produced, for the log.
struct RequestOutcome {
  unsigned status = 0;
  std::string model;     // the route the client asked for (made loggable)
  std::string provider;  // the target that answered: provider ...
  std::string target_model;  // ... and its model
  std::string_view key;  // the client key's name (never the key)
  std::string note;      // why it ended early (client_write_failed, stream_broken)
  std::int64_t input_tokens = -1, output_tokens = -1;  // -1: no answer counted them
  double cost_usd = 0;
  std::int64_t overhead_us = -1;  // time inside the gateway (-1: not measured)
  std::string_view cache = "none";  // the response cache's verdict (none: no cache on the path)
  bool close = false;    // the connection closes after this request
};

// What the access log knows of the request itself.
struct RequestLine {
  std::string_view method, path, request_id;
};

// Client-supplied text for the log: at most 200 bytes, control characters replaced (no log injection).
std::string loggable(std::string_view text);

class Accounting {
 public:
  using OverheadSink = std::function<void(std::chrono::nanoseconds)>;
  // `log` null or `access_log` false: no access log.
  Accounting(observability::Logger* log, bool access_log, OverheadSink overhead);

  // Time inside the gateway: since `read` (the request was read) minus the
  // wait on the provider. Recorded, and returned in microseconds (for the
  // x-switchyard-overhead-us header and the log).
  std::int64_t overhead(std::chrono::steady_clock::time_point read, std::chrono::nanoseconds upstream) const;
  void finished(const RequestLine& request, const RequestOutcome& outcome, std::chrono::steady_clock::duration took) const;
  // A request refused before it had a head worth logging (flood of large heads, malformed).
  void rejected(unsigned status, std::string_view request_id) const;

 private:
  observability::Logger* log_;
  bool access_log_;
  OverheadSink overhead_;
};

}  // namespace switchyard::pipeline
