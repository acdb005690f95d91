#pragma once
// Stage 2 of a chat request: may this key start this request now? The place
// per-key rate limits, concurrency caps, budgets and provider quotas plug in
// (issue: governance); today every authenticated request is admitted and no
// header is added. An admitted request holds its Admission until it ends
// (a concurrency slot is released there).
#include <switchyard/error.hpp>

#include <string_view>

#include "server/response_headers.hpp"

namespace switchyard::auth {
struct KeyEntry;
}

namespace switchyard::pipeline {

// Held by the request while it runs; gives back what admit() took when destroyed.
class Admission {
 public:
  Admission() = default;
  Admission(Admission&&) noexcept = default;
  Admission& operator=(Admission&&) noexcept = default;
};

class AdmissionControl {
 public:
  // `key`: the authenticated key (nullptr for a trusted in-process caller);
  // `route`: the model the client asked for. Headers for the client (e.g.
  // x-ratelimit-*) go into `headers`, on the answer whether admitted or not.
  result<Admission> admit(const auth::KeyEntry* key, std::string_view route, server::ResponseHeaders& headers);
};

}  // namespace switchyard::pipeline
