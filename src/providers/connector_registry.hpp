#pragma once
// Maps a provider `type` to the factory that builds its ProviderClient, so new
// provider types plug in without touching the server or the router. Owned by
// the Gateway; no global registry.
#include <switchyard/config.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "providers/provider_client.hpp"

namespace switchyard::providers {

// The URL a chat completion for `model` is sent to (what `switchyard --check` shows).
std::string chat_url_of(const ProviderConfig& config, std::string_view model);

class ConnectorRegistry {
 public:
  using Factory = std::function<std::unique_ptr<ProviderClient>(const boost::asio::any_io_executor&, const ProviderConfig&)>;

  // A registry holding every built-in provider type.
  static ConnectorRegistry with_builtins();

  void add(std::string type, Factory factory);
  bool knows(const std::string& type) const { return factories_.count(type) != 0; }
  std::vector<std::string> types() const;

  // Throws std::invalid_argument for an unknown type (startup error).
  std::unique_ptr<ProviderClient> make(const boost::asio::any_io_executor& ex, const ProviderConfig& config) const;

 private:
  std::map<std::string, Factory> factories_;
};

}  // namespace switchyard::providers
