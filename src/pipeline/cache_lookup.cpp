#include "pipeline/cache_lookup.hpp"

namespace switchyard::pipeline {

std::optional<CachedAnswer> CacheLookup::find(const auth::KeyEntry*, std::string_view, const boost::json::object&,
                                              server::ResponseHeaders&) const {
  return std::nullopt;  // no route caches yet
}

}  // namespace switchyard::pipeline
