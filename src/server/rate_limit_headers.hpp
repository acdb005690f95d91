#pragma once
// OpenAI's rate-limit headers, on every answer to a key with limits, admitted
// or refused: x-ratelimit-{limit,remaining,reset}-{requests,tokens}, for the
// tightest window of each kind (the admit stage put them in the exchange;
// reset in OpenAI's duration format: "1s", "6m0s", "20ms").
#include <switchyard/chat.hpp>

#include <chrono>
#include <string>

#include "server/response_headers.hpp"

namespace switchyard::server {

// OpenAI's duration format for x-ratelimit-reset-*: "20ms", "1s", "1.5s", "6m0s", "1h2m3s".
std::string openai_duration(std::chrono::milliseconds d);

// The headers for these windows (limit 0: no such limit, no header).
void add_rate_limit_headers(const LimitStatus& requests, const LimitStatus& tokens, ResponseHeaders& headers);

}  // namespace switchyard::server
