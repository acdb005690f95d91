#pragma once
// A test HTTP server on its own thread (an OTLP collector, an alert webhook):
// records every request (path, headers, body) and answers each with the
// status set now (200 by default; a list of statuses is consumed first).
// down() closes the listener and every connection (a collector that went
// away); up() listens again on the same port. Thread-safe.
#include <boost/json.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace switchyard::test {

struct SinkRequest {
  std::string method, path, body;
  unsigned answered = 0;  // the status the sink answered with
  std::map<std::string, std::string> headers;  // lower-case names
};

class HttpSink {
 public:
  HttpSink();
  ~HttpSink();
  std::uint16_t port() const noexcept { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  void set_status(unsigned status);          // every answer from now on
  void queue_statuses(std::vector<unsigned>);  // the next answers, then set_status's
  void down();
  void up();

  std::vector<SinkRequest> requests() const;
  std::size_t count() const;
  // Waits (bounded) until `pred(requests())` holds; false at the deadline.
  bool wait_for(const std::function<bool(const std::vector<SinkRequest>&)>& pred, std::chrono::milliseconds limit);

  // OTLP: every span of every request the sink took (answered 2xx), flattened (each a JSON object as sent).
  std::vector<boost::json::object> spans() const { return spans_of(requests()); }
  static std::vector<boost::json::object> spans_of(const std::vector<SinkRequest>& requests);

  struct State;  // (the sink's thread's; public for the helpers in http_sink.cpp)

 private:
  std::shared_ptr<State> state_;
  std::uint16_t port_ = 0;
};

// An OTLP span's attribute value (stringValue, intValue as a string, doubleValue, boolValue), or nullptr.
const boost::json::value* span_attribute(const boost::json::object& span, std::string_view key);
std::string span_string(const boost::json::object& span, std::string_view key);    // "" when absent
std::int64_t span_int(const boost::json::object& span, std::string_view key);     // -1 when absent
bool span_has_event(const boost::json::object& span, std::string_view name);

}  // namespace switchyard::test
