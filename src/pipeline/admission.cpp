#include "pipeline/admission.hpp"

#include <cstdio>

namespace switchyard::pipeline {

std::string openai_duration(std::chrono::milliseconds d) {
  const long long ms = std::max<long long>(0, d.count());
  if (ms < 1000) return std::to_string(ms) + "ms";
  const long long h = ms / 3'600'000, m = ms % 3'600'000 / 60'000, s_ms = ms % 60'000;
  std::string out;
  if (h > 0) out += std::to_string(h) + "h";
  if (h > 0 || m > 0) out += std::to_string(m) + "m";
  char seconds[24];
  if (s_ms % 1000 == 0) std::snprintf(seconds, sizeof seconds, "%llds", s_ms / 1000);
  else {
    std::snprintf(seconds, sizeof seconds, "%.3f", static_cast<double>(s_ms) / 1000.0);
    std::string t = seconds;
    while (t.back() == '0') t.pop_back();
    std::snprintf(seconds, sizeof seconds, "%ss", t.c_str());
  }
  return out + seconds;
}

Admission AdmissionControl::admit(const auth::KeyEntry* key, const boost::json::object& body, server::ResponseHeaders& headers) const {
  Admission a = admit_(key, body);
  auto add = [&](const LimitStatus& s, const char* kind) {
    if (s.limit == 0) return;
    const std::string k = kind;
    headers.add("x-ratelimit-limit-" + k, std::to_string(s.limit));
    headers.add("x-ratelimit-remaining-" + k, std::to_string(s.remaining));
    headers.add("x-ratelimit-reset-" + k, openai_duration(s.reset));
  };
  add(a.requests, "requests");
  add(a.tokens, "tokens");
  return a;
}

}  // namespace switchyard::pipeline
