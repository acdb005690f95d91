#include "service/service_notifier.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>
#include <ctime>

namespace switchyard::service {

namespace {
std::string status_line(std::string_view status) {
  if (status.empty()) return {};
  std::string out = "\nSTATUS=";
  for (const char c : status.substr(0, 400)) out += (c == '\n' || c == '\r') ? ' ' : c;
  return out;
}
}  // namespace

std::string ready_message(std::string_view status) { return "READY=1" + status_line(status); }

std::string reloading_message(std::uint64_t monotonic_usec, std::string_view status) {
  return "RELOADING=1\nMONOTONIC_USEC=" + std::to_string(monotonic_usec) + status_line(status);
}

std::string stopping_message(std::string_view status) { return "STOPPING=1" + status_line(status); }

ServiceNotifier::ServiceNotifier(const char* socket) {
  if (!socket || !*socket) return;
  const std::string_view name(socket);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (name.size() >= sizeof(addr.sun_path) || (name[0] != '/' && name[0] != '@')) {
    error_ = "NOTIFY_SOCKET is not an absolute path or an abstract name that fits a socket address";
    return;
  }
  std::memcpy(addr.sun_path, name.data(), name.size());
  if (name[0] == '@') addr.sun_path[0] = '\0';  // the abstract namespace
  const std::size_t length = offsetof(sockaddr_un, sun_path) + name.size() + (name[0] == '@' ? 0 : 1);
  address_.assign(reinterpret_cast<const char*>(&addr), length);
  fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd_ < 0) error_ = std::string("cannot open a socket for NOTIFY_SOCKET: ") + std::strerror(errno);
}

ServiceNotifier::~ServiceNotifier() {
  if (fd_ >= 0) ::close(fd_);
}

bool ServiceNotifier::reloading(std::string_view status) {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  const auto usec = static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000 + static_cast<std::uint64_t>(ts.tv_nsec) / 1000;
  return send(reloading_message(usec, status));
}

bool ServiceNotifier::send(std::string_view message) {
  if (fd_ < 0) return false;
  const ssize_t n = ::sendto(fd_, message.data(), message.size(), MSG_NOSIGNAL, reinterpret_cast<const sockaddr*>(address_.data()),
                             static_cast<socklen_t>(address_.size()));
  if (n == static_cast<ssize_t>(message.size())) return true;
  ++dropped_;
  return false;
}

}  // namespace switchyard::service
