#pragma once
// The admin API's request bodies, read into records (sans-io): a key's
// {name, team, models, limits, budget, expires_at, metadata}, a team's
// {name, models, limits, budget, user_limits}, a rotation's {grace_s}. A
// create fills a new record; an update (PATCH) changes only the fields it
// names (null clears one). Every field is checked and bounded; an error
// names the field.
#include <switchyard/error.hpp>

#include <boost/json/object.hpp>

#include <cstdint>

#include "org/org_records.hpp"

namespace switchyard::org {

inline constexpr std::size_t kMaxModels = 64;             // globs in a key's or team's models
inline constexpr std::size_t kMaxMetadataBytes = 4096;    // a key's metadata, serialized
inline constexpr std::int64_t kMaxGraceSeconds = 30 * 86'400;

// `create`: the body must name the key; otherwise `key` is the record being changed (its name stays).
result<ManagedKey> read_key_request(const boost::json::object& body, ManagedKey key, bool create, std::int64_t now_ms);
result<TeamConfig> read_team_request(const boost::json::object& body, TeamConfig team, bool create);
// {grace_s}: how long the old secret keeps working, in seconds (default 0: not at all).
result<std::int64_t> read_rotation(const boost::json::object& body);

// A name as keys and teams have them in the config: 1-64 of letters, digits and . _ - : @.
bool valid_name(std::string_view name) noexcept;

}  // namespace switchyard::org
