#include "server/request_id.hpp"

#include <cstdio>

namespace switchyard::server {

RequestIdGenerator::RequestIdGenerator(std::uint64_t seed) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "req_%08x", static_cast<unsigned>(seed ^ (seed >> 32)));
  prefix_ = buf;
}

std::string RequestIdGenerator::next() {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%012llx", static_cast<unsigned long long>(++counter_));
  return prefix_ + buf;
}

bool acceptable_request_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '_' || c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

}  // namespace switchyard::server
