#pragma once
// A stored answer (CachedEntry) as the shared cache keeps it in Redis: JSON,
// versioned, and back. What comes back from Redis is read like any outside
// input: anything that is not a well-formed entry of this version (a bad
// field, a usage mark past the chunks) is refused whole.
#include <optional>
#include <string>
#include <string_view>

#include "cache/response_store.hpp"

namespace switchyard::cache {

std::string encode_entry(const CachedEntry& entry);
std::optional<CachedEntry> decode_entry(std::string_view text);

}  // namespace switchyard::cache
