// switchyard-mock: see mock/mock_provider.hpp for what it does.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>

#include "mock/mock_provider.hpp"

namespace {

void usage() {
  std::cout << "usage: switchyard-mock [options]\n"
               "  --listen HOST:PORT     where to listen (default 127.0.0.1:9090; port 0 picks one)\n"
               "  --ttft-ms N            delay before the first token (default 0)\n"
               "  --tps N                tokens per second after the first (default 0 = no delay)\n"
               "  --tokens N             answer length in tokens (default 16)\n"
               "  --status N             answer every request with this status (default 200)\n"
               "  --retry-after S        Retry-After header on error answers\n"
               "  --fault F              reset | hang | stall-after:N | reset-after:N | error-after:N\n"
               "  --hang-limit-ms N      hangs and stalls end after this (default 300000)\n"
               "  --comments             keep-alive comment lines in OpenAI streams, as OpenRouter sends\n"
               "  --tls-cert FILE --tls-key FILE   serve HTTPS\n"
               "  --aws-secret SECRET    Bedrock paths (/model/...) require a SigV4 signature made with this secret\n"
               "Per request: x-mock-status, x-mock-retry-after, x-mock-ttft-ms, x-mock-tps, x-mock-tokens,\n"
               "x-mock-fault, x-mock-comments headers, or a \"mock\": {...} object in the JSON body with the same keys.\n"
               "APIs by path: /v1/chat/completions (OpenAI), /v1/messages (Anthropic),\n"
               "/v1beta/models/M:generateContent and :streamGenerateContent?alt=sse (Gemini).\n";
}

}  // namespace

int main(int argc, char** argv) {
  switchyard::mock::MockOptions options;
  options.port = 9090;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "switchyard-mock: " << arg << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    try {
      if (arg == "--help" || arg == "-h") {
        usage();
        return 0;
      } else if (arg == "--listen") {
        const std::string v = value();
        const auto colon = v.rfind(':');
        if (colon == std::string::npos) throw std::invalid_argument("--listen needs HOST:PORT");
        options.host = v.substr(0, colon);
        options.port = static_cast<std::uint16_t>(std::stoi(v.substr(colon + 1)));
      } else if (arg == "--ttft-ms") {
        options.defaults.ttft = switchyard::Millis(std::stol(value()));
      } else if (arg == "--tps") {
        options.defaults.tokens_per_second = std::stod(value());
      } else if (arg == "--tokens") {
        options.defaults.tokens = std::stoi(value());
      } else if (arg == "--status") {
        options.defaults.status = static_cast<unsigned>(std::stoi(value()));
      } else if (arg == "--retry-after") {
        options.defaults.retry_after = value();
      } else if (arg == "--fault") {
        const std::string f = value();
        if (!switchyard::mock::parse_fault(f, options.defaults)) throw std::invalid_argument("unknown fault " + f);
      } else if (arg == "--comments") {
        options.defaults.comments = true;
      } else if (arg == "--hang-limit-ms") {
        options.hang_limit = switchyard::Millis(std::stol(value()));
      } else if (arg == "--tls-cert") {
        options.tls_cert_file = value();
      } else if (arg == "--tls-key") {
        options.tls_key_file = value();
      } else if (arg == "--aws-secret") {
        options.aws_secret_access_key = value();
      } else {
        std::cerr << "switchyard-mock: unknown option " << arg << "\n";
        usage();
        return 2;
      }
    } catch (const std::exception& e) {
      std::cerr << "switchyard-mock: bad value for " << arg << ": " << e.what() << "\n";
      return 2;
    }
  }

  boost::asio::io_context ioc(1);
  try {
    switchyard::mock::MockProvider mock(ioc.get_executor(), options);
    const auto port = mock.listen();
    std::cout << "switchyard-mock listening on " << (options.tls_cert_file.empty() ? "http" : "https") << "://"
              << options.host << ":" << port << std::endl;
    boost::asio::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code&, int) { mock.stop(); });
    boost::asio::co_spawn(ioc, mock.run(), boost::asio::detached);
    ioc.run();
  } catch (const std::exception& e) {
    std::cerr << "switchyard-mock: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
