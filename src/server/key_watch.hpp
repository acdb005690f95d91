#pragma once
// Logs what happens to a provider's several keys, once per change: a key
// the provider refused (401/403) set aside, with the provider's reason (the
// key redacted), and the key usable again after its cooldown. Reads the
// gateway's key view (on the main worker's dashboard tick), so a refusal is
// logged once however many requests met it.
#include <switchyard/gateway.hpp>

#include <map>
#include <string>
#include <vector>

#include "observability/logger.hpp"

namespace switchyard::server {

class KeyWatch {
 public:
  explicit KeyWatch(observability::Logger& log) : log_(log) {}
  // Compares `keys` with what was seen last and logs the changes.
  void look(const std::vector<ProviderKeyStatus>& keys);

 private:
  observability::Logger& log_;
  std::map<std::string, std::uint64_t> refusals_;  // provider#index → refusals logged
  std::map<std::string, std::string> states_;      // provider#index → state last seen
};

}  // namespace switchyard::server
