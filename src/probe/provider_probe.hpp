#pragma once
// switchyard --probe: checks every provider of a configuration the way the
// gateway will call it, before traffic arrives: DNS, TCP, TLS (the
// certificate valid for the host, with the provider's CA settings), then,
// through the same provider client the gateway uses, authentication and the
// model with a one-token request, a one-token stream, and a one-token request
// with a tool where the target takes tools. A provider no route uses is
// checked with its listing (the health check's request). Each step is
// bounded by the provider's timeouts; a failure says which step, the status
// and the provider's error code, never a key.
#include <switchyard/config.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <string>
#include <vector>

namespace switchyard::probe {

struct ProbeStep {
  std::string name;    // dns, tcp, tls, chat, stream, tools, listing
  bool ok = false;
  double ms = 0;
  std::string detail;  // a failure's reason
};

struct ProbeResult {
  std::string provider, model;  // model "" for a provider checked by its listing
  std::vector<ProbeStep> steps;
  bool ok() const noexcept;
  const ProbeStep* failed() const noexcept;
};

// Every provider and every (provider, model) a route names, probed one after another.
boost::asio::awaitable<std::vector<ProbeResult>> probe_config(boost::asio::any_io_executor ex, const Config& config);

// One line per result: "ok    provider/model  dns 0.2 ms · tcp 0.1 ms · ..." or "FAIL  provider/model  tls: ...".
std::string probe_text(const std::vector<ProbeResult>& results);
// {"ok": bool, "results": [{"provider", "model", "ok", "steps": [{"name", "ok", "ms", "detail"}]}]}
std::string probe_json(const std::vector<ProbeResult>& results);

}  // namespace switchyard::probe
