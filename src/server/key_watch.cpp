#include "server/key_watch.hpp"

namespace switchyard::server {

void KeyWatch::look(const std::vector<ProviderKeyStatus>& keys) {
  for (const auto& k : keys) {
    const std::string id = k.provider + "#" + std::to_string(k.index);
    const std::string key = "#" + std::to_string(k.index) + " " + k.fingerprint;
    auto& logged = refusals_[id];
    auto& state = states_[id];
    if (k.refusals > logged && k.state == "set_aside") {
      log_.record(observability::LogLevel::warn, "provider key set aside",
                  {{"provider", k.provider}, {"key", key}, {"refusals", static_cast<std::int64_t>(k.refusals)}, {"reason", k.last_refusal}});
      logged = k.refusals;
    } else if (state == "set_aside" && k.state != "set_aside") {
      log_.record(observability::LogLevel::info, "provider key back in use after its cooldown", {{"provider", k.provider}, {"key", key}});
    }
    state = k.state;
  }
}

}  // namespace switchyard::server
