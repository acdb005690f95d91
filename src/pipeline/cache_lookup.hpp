#pragma once
// Stage 3 of a chat request: an answer already known for this exact request.
// The response cache plugs in here (issue: response cache); today no route
// caches, so every lookup is a miss and nothing is stored. A hit would be
// written by the chat handler exactly like an upstream answer, with an
// x-switchyard-cache header added through ResponseHeaders.
#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>

#include "server/response_headers.hpp"

namespace switchyard::auth {
struct KeyEntry;
}

namespace switchyard::pipeline {

struct CachedAnswer {
  std::string body;  // the OpenAI chat.completion JSON
};

class CacheLookup {
 public:
  // nullopt: a miss (go on to the router).
  std::optional<CachedAnswer> find(const auth::KeyEntry* key, std::string_view route, const boost::json::object& request,
                                   server::ResponseHeaders& headers) const;
  bool enabled() const noexcept { return false; }
};

}  // namespace switchyard::pipeline
