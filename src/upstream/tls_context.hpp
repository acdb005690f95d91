#pragma once
// Client TLS contexts for upstreams: peer verification against the system CA
// store by default, an optional extra CA file, TLS 1.2 minimum.
#include <switchyard/config.hpp>

#include <boost/asio/ssl/context.hpp>

#include <memory>

namespace switchyard::upstream {

// Throws std::runtime_error at startup when the CA file cannot be loaded.
std::unique_ptr<boost::asio::ssl::context> make_client_tls_context(const ProviderConfig& provider);

}  // namespace switchyard::upstream
