#pragma once
// Tells the service manager how the daemon is doing, in systemd's notify
// protocol (sd_notify(3)) without libsystemd: one datagram per state change
// to the AF_UNIX socket named by $NOTIFY_SOCKET (a path, or "@name" in the
// abstract namespace). READY=1 once the listener is open, RELOADING=1 (with
// MONOTONIC_USEC) then READY=1 around a reload, STOPPING=1 when the drain
// begins, STATUS= for `systemctl status`. Without the variable (not started
// with Type=notify) every call does nothing. Never blocks: a datagram the
// manager cannot take is dropped (and counted), the daemon goes on.
#include <cstdint>
#include <string>
#include <string_view>

namespace switchyard::service {

// The messages (newline-separated assignments); status text has its newlines replaced.
std::string ready_message(std::string_view status);
std::string reloading_message(std::uint64_t monotonic_usec, std::string_view status);
std::string stopping_message(std::string_view status);

class ServiceNotifier {
 public:
  // `socket`: $NOTIFY_SOCKET's value, or null/empty (then disabled). A name longer than
  // a socket address holds disables it too (said by error()).
  explicit ServiceNotifier(const char* socket);
  ~ServiceNotifier();
  ServiceNotifier(const ServiceNotifier&) = delete;
  ServiceNotifier& operator=(const ServiceNotifier&) = delete;

  bool enabled() const noexcept { return fd_ >= 0; }
  const std::string& error() const noexcept { return error_; }

  bool ready(std::string_view status) { return send(ready_message(status)); }
  bool reloading(std::string_view status);  // MONOTONIC_USEC from CLOCK_MONOTONIC, as systemd asks
  bool stopping(std::string_view status) { return send(stopping_message(status)); }
  // One datagram; false when disabled or not taken (counted in dropped()).
  bool send(std::string_view message);
  std::uint64_t dropped() const noexcept { return dropped_; }

 private:
  int fd_ = -1;
  std::string address_;  // the sockaddr_un bytes
  std::string error_;
  std::uint64_t dropped_ = 0;
};

}  // namespace switchyard::service
