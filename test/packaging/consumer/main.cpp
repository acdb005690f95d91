// consumer CONFIG: loads the configuration, runs a chat and a streamed chat through the
// gateway's pipeline on its own io_context (no HTTP server) and prints what came back.
#include <switchyard/gateway.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>

#include <iostream>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: consumer CONFIG\n";
    return 2;
  }
  auto config = switchyard::load_config_file(argv[1]);
  if (!config) {
    std::cerr << "config: " << config.error() << "\n";
    return 2;
  }
  boost::asio::io_context ioc;
  switchyard::Gateway gateway(ioc.get_executor(), std::move(*config));
  int status = 1;
  boost::asio::co_spawn(ioc, [&]() -> boost::asio::awaitable<void> {
    switchyard::ChatRequest req;
    req.body = boost::json::parse(R"({"model":"fast","messages":[{"role":"user","content":"hi"}]})").as_object();
    auto answer = co_await gateway.chat(req);
    if (!answer) {
      std::cerr << "chat: " << answer.error().message << "\n";
      gateway.shutdown();
      co_return;
    }
    std::cout << "chat " << answer->provider << " " << answer->body << "\n";
    req.body["stream"] = true;
    auto stream = co_await gateway.chat_stream(req);
    int chunks = 0;
    while (stream) {
      auto chunk = co_await stream->next();
      if (!chunk || !*chunk) break;
      ++chunks;
    }
    std::cout << "stream chunks " << chunks << "\n";
    status = chunks > 0 ? 0 : 1;
    gateway.shutdown();
  }, boost::asio::detached);
  ioc.run();
  return status;
}
