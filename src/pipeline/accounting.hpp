#pragma once
// The access log: one line per HTTP request with how it ended (the outcome
// the account stage fills for an exchange, the front-end for the others;
// client-supplied fields made loggable; never a key or a body).
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
  // `log` null or `access_log` false: no access log.
  Accounting(observability::Logger* log, bool access_log);

  void finished(const RequestLine& request, const RequestOutcome& outcome, std::chrono::steady_clock::duration took) const;
  // A request refused before it had a head worth logging (flood of large heads, malformed).
  void rejected(unsigned status, std::string_view request_id) const;

 private:
  observability::Logger* log_;
  bool access_log_;
};

}  // namespace switchyard::pipeline
