#pragma once
// Stage 2 of a chat request: may this key start this request now? Asks the
// gateway's Governor (the key's rate limits, concurrency cap and budget) and
// puts OpenAI's rate-limit headers on the answer, whatever it is:
// x-ratelimit-{limit,remaining,reset}-{requests,tokens}, for the tightest
// window of each kind (reset in OpenAI's duration format: "1s", "6m0s", "20ms").
#include <switchyard/chat.hpp>

#include <boost/json/object.hpp>

#include <chrono>
#include <functional>
#include <string>

#include "server/response_headers.hpp"

namespace switchyard::pipeline {

// OpenAI's duration format for x-ratelimit-reset-*: "20ms", "1s", "1.5s", "6m0s", "1h2m3s".
std::string openai_duration(std::chrono::milliseconds d);

class AdmissionControl {
 public:
  using Admit = std::function<Admission(const auth::KeyEntry*, const boost::json::object&)>;
  explicit AdmissionControl(Admit admit) : admit_(std::move(admit)) {}

  // The admission (refused: answer 429 with it); its headers go into `headers` either way.
  Admission admit(const auth::KeyEntry* key, const boost::json::object& body, server::ResponseHeaders& headers) const;
  // The rate-limit headers of an admission made elsewhere (the shared counters).
  static void add_headers(const Admission& a, server::ResponseHeaders& headers);

 private:
  Admit admit_;
};

}  // namespace switchyard::pipeline
