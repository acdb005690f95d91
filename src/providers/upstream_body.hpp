#pragma once
// Upstream request bodies written from the client's request without
// changing it (it is shared by every attempt: retries, failover, hedges):
// serialized member by member with "model" set for the attempt.
#include <boost/json/object.hpp>

#include <string>
#include <string_view>

namespace switchyard::providers {

// For an OpenAI-type provider: the client's request with `model` replaced
// and, for streams, `stream: true` and `stream_options.include_usage` set.
std::string openai_upstream_body(const boost::json::object& body, std::string_view model, bool stream);

// `body` serialized with "model" set to `model`, every other member as it came, in order
// (a request passed through in the client's own API).
std::string body_with_model(const boost::json::object& body, std::string_view model);

}  // namespace switchyard::providers
