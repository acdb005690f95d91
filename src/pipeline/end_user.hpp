#pragma once
// Who a request is made for (the end user behind the client's key): their
// team's user_limits apply to them, and ledger rows carry them. Named by the
// embedder's ChatRequest::user or the HTTP header x-switchyard-user, else the
// body: OpenAI's "user" or "safety_identifier", Anthropic's
// metadata.user_id. A name is bounded (it becomes a table key and a ledger
// field): over kMaxEndUser bytes or with control characters is a 400.
#include <switchyard/error.hpp>

#include <boost/json/object.hpp>

#include <string>
#include <string_view>

namespace switchyard::pipeline {

inline constexpr std::size_t kMaxEndUser = 256;

// `declared`: what the caller named (ChatRequest::user, the header); empty: the body's fields.
// An empty result: no end user.
result<std::string> end_user_of(std::string_view declared, const boost::json::object& body);

}  // namespace switchyard::pipeline
