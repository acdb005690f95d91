#pragma once
// Request ids: a client's x-request-id is echoed when it is sane (short,
// printable token characters); otherwise one is generated.
#include <cstdint>
#include <string>
#include <string_view>

namespace switchyard::server {

class RequestIdGenerator {
 public:
  explicit RequestIdGenerator(std::uint64_t seed);
  std::string next();

 private:
  std::string prefix_;
  std::uint64_t counter_ = 0;
};

// True when a client-supplied id may be echoed and forwarded.
bool acceptable_request_id(std::string_view id) noexcept;

}  // namespace switchyard::server
