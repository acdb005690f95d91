#include "upstream/tls_context.hpp"

#include <stdexcept>

namespace switchyard::upstream {

std::unique_ptr<boost::asio::ssl::context> make_client_tls_context(const ProviderConfig& provider) {
  namespace ssl = boost::asio::ssl;
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                   ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  boost::system::error_code ec;
  ctx->set_default_verify_paths(ec);
  if (!provider.tls_ca_file.empty()) {
    ctx->load_verify_file(provider.tls_ca_file, ec);
    if (ec) {
      throw std::runtime_error("provider '" + provider.name + "': cannot load tls_ca_file '" + provider.tls_ca_file +
                               "': " + ec.message());
    }
  }
  ctx->set_verify_mode(provider.tls_verify ? ssl::verify_peer : ssl::verify_none);
  return ctx;
}

}  // namespace switchyard::upstream
