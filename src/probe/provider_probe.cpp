#include "probe/provider_probe.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <chrono>
#include <cstdio>
#include <set>

#include "error/error_response.hpp"
#include "providers/connector_registry.hpp"
#include "providers/upstream_error.hpp"
#include "upstream/endpoint.hpp"
#include "upstream/tls_context.hpp"

namespace switchyard::probe {

namespace asio = boost::asio;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);

bool ProbeResult::ok() const noexcept { return failed() == nullptr && !steps.empty(); }

const ProbeStep* ProbeResult::failed() const noexcept {
  for (const auto& s : steps) {
    if (!s.ok) return &s;
  }
  return nullptr;
}

namespace {

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

// A provider's failure as the probe says it: the status, the provider's own code and message
// (keys redacted: a careless provider may echo one), never the request.
std::string reason_of(const Error& e, const std::vector<std::string>& secrets) {
  const Error clean = providers::redacted(e, secrets);
  std::string out;
  if (clean.upstream_status) out = "HTTP " + std::to_string(clean.upstream_status);
  std::string code;
  boost::system::error_code ec;
  auto body = json::parse(clean.upstream_error, ec);
  if (!ec && body.is_object()) {
    for (const char* k : {"code", "type", "status"}) {
      if (const auto* v = body.as_object().if_contains(k); v && v->is_string() && code.empty()) code = v->as_string();
    }
  }
  if (!code.empty()) out += (out.empty() ? "" : " ") + code;
  if (out.empty()) out = error::code_name(clean);
  return out + ": " + clean.message.substr(0, 160);
}

// Whether the peer's certificate names `host` (a DNS name, or an IP address in its SAN).
bool names_host(SSL* ssl, const std::string& host) {
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (!cert) return false;
  boost::system::error_code ec;
  (void)asio::ip::make_address(host, ec);
  const bool ip = !ec;
  const bool ok = ip ? X509_check_ip_asc(cert, host.c_str(), 0) == 1 : X509_check_host(cert, host.data(), host.size(), 0, nullptr) == 1;
  X509_free(cert);
  return ok;
}

// DNS, TCP and TLS, each step timed; false when one failed (the rest are not tried).
asio::awaitable<bool> reach(const ProviderConfig& p, ProbeResult& r) {
  using namespace asio::experimental::awaitable_operators;
  auto ex = co_await asio::this_coro::executor;
  auto ep = upstream::parse_endpoint(p.base_url);
  if (!ep) {
    r.steps.push_back(ProbeStep{"dns", false, 0, "base_url: " + ep.error().message});
    co_return false;
  }
  asio::steady_timer timer(ex, p.connect_timeout);
  tcp::resolver resolver(ex);
  auto t0 = Clock::now();
  auto resolved = co_await (resolver.async_resolve(ep->host, ep->port, use_nothrow) || timer.async_wait(use_nothrow));
  if (resolved.index() == 1) {
    r.steps.push_back(ProbeStep{"dns", false, ms_since(t0), "no answer within connect_timeout_ms"});
    co_return false;
  }
  auto [rec, results] = std::get<0>(resolved);
  r.steps.push_back(ProbeStep{"dns", !rec, ms_since(t0), rec ? ep->host + ": " + rec.message() : ""});
  if (rec) co_return false;
  tcp::socket socket(ex);
  timer.expires_after(p.connect_timeout);
  t0 = Clock::now();
  auto connected = co_await (asio::async_connect(socket, results, use_nothrow) || timer.async_wait(use_nothrow));
  const auto cec = connected.index() == 0 ? std::get<0>(std::get<0>(connected)) : asio::error::timed_out;
  r.steps.push_back(ProbeStep{"tcp", !cec, ms_since(t0), cec ? ep->host + ":" + ep->port + ": " + cec.message() : ""});
  if (cec) co_return false;
  if (!ep->tls) co_return true;
  auto ctx = upstream::make_client_tls_context(p);
  asio::ssl::stream<tcp::socket> tls(std::move(socket), *ctx);
  SSL_set_tlsext_host_name(tls.native_handle(), ep->host.c_str());
  timer.expires_after(p.connect_timeout);
  t0 = Clock::now();
  auto shaken = co_await (tls.async_handshake(asio::ssl::stream_base::client, use_nothrow) || timer.async_wait(use_nothrow));
  const auto hec = shaken.index() == 0 ? std::get<0>(std::get<0>(shaken)) : asio::error::timed_out;
  std::string why;
  if (hec) {
    const long verify = SSL_get_verify_result(tls.native_handle());
    why = verify != X509_V_OK ? std::string("certificate not trusted: ") + X509_verify_cert_error_string(verify) : "handshake: " + hec.message();
  } else if (p.tls_verify && !names_host(tls.native_handle(), ep->host)) {
    why = "certificate not valid for " + ep->host + ": hostname mismatch";
  }
  r.steps.push_back(ProbeStep{"tls", why.empty(), ms_since(t0), why});
  co_return why.empty();
}

json::object one_token(std::string_view model, bool stream, bool tool) {
  json::object body{{"model", model}, {"max_tokens", 1}, {"messages", json::array{json::object{{"role", "user"}, {"content", "Reply with OK."}}}}};
  if (stream) body["stream"] = true;
  if (tool) {
    body["tools"] = json::array{json::object{
        {"type", "function"},
        {"function", json::object{{"name", "probe"}, {"description", "a no-op the probe declares"},
                                  {"parameters", json::object{{"type", "object"}, {"properties", json::object{}}}}}}}};
  }
  return body;
}

// The one-token chat, stream and tool requests through the gateway's own client.
asio::awaitable<void> ask(providers::ProviderClient& client, const std::string& model, bool tools, const std::vector<std::string>& secrets,
                          ProbeResult& r) {
  const auto chat_body = one_token(model, false, false);
  const providers::ChatCall chat_call{chat_body, model, "probe", Millis(0)};
  auto t0 = Clock::now();
  auto answer = co_await client.chat_completion(chat_call);
  r.steps.push_back(ProbeStep{"chat", static_cast<bool>(answer), ms_since(t0), answer ? "" : reason_of(answer.error(), secrets)});
  if (!answer) co_return;
  const auto stream_body = one_token(model, true, false);
  const providers::ChatCall stream_call{stream_body, model, "probe", Millis(0)};
  t0 = Clock::now();
  auto stream = co_await client.chat_completion_stream(stream_call);
  std::string why;
  if (!stream) {
    why = reason_of(stream.error(), secrets);
  } else {
    auto first = co_await (*stream)->next();
    if (!first) why = reason_of(first.error(), secrets);
    else if (!*first) why = "the stream ended without a chunk";
  }
  r.steps.push_back(ProbeStep{"stream", why.empty(), ms_since(t0), why});
  if (!why.empty() || !tools) co_return;
  const auto tool_body = one_token(model, false, true);
  const providers::ChatCall tool_call{tool_body, model, "probe", Millis(0)};
  t0 = Clock::now();
  auto with_tool = co_await client.chat_completion(tool_call);
  r.steps.push_back(ProbeStep{"tools", static_cast<bool>(with_tool), ms_since(t0), with_tool ? "" : reason_of(with_tool.error(), secrets)});
}

std::vector<std::string> secrets_of(const ProviderConfig& p) {
  std::vector<std::string> out;
  for (const auto* v : {&p.api_key, &p.ad_token, &p.secret_access_key, &p.session_token, &p.access_token}) {
    if (!v->empty()) out.push_back(*v);
  }
  for (const auto& k : p.keys) out.push_back(k.key);
  for (const auto& [name, value] : p.headers) {
    if (value.size() >= 8) out.push_back(value);
  }
  return out;
}

}  // namespace

asio::awaitable<std::vector<ProbeResult>> probe_config(asio::any_io_executor ex, const Config& config) {
  const auto registry = providers::ConnectorRegistry::with_builtins();
  std::vector<ProbeResult> out;
  for (const auto& p : config.providers) {
    std::set<std::pair<std::string, bool>> models;  // (model, tools)
    for (const auto& route : config.models) {
      for (const auto& t : route.targets) {
        if (t.provider == p.name) models.emplace(t.model, t.tools);
      }
    }
    const auto secrets = secrets_of(p);
    ProbeResult reached{p.name, "", {}};
    const bool up = co_await reach(p, reached);
    std::unique_ptr<providers::ProviderClient> client;
    if (up) {
      try {
        client = registry.make(ex, p);
      } catch (const std::exception& e) {  // e.g. a credentials file that cannot be read
        reached.steps.push_back(ProbeStep{"client", false, 0, e.what()});
      }
    }
    if (models.empty()) {  // no route uses it: its listing
      if (client) {
        const auto t0 = Clock::now();
        auto listed = co_await client->probe();
        reached.steps.push_back(ProbeStep{"listing", static_cast<bool>(listed), ms_since(t0), listed ? "" : reason_of(listed.error(), secrets)});
      }
      out.push_back(std::move(reached));
    }
    for (const auto& [model, tools] : models) {
      ProbeResult r = reached;
      r.model = model;
      if (client) co_await ask(*client, model, tools, secrets, r);
      out.push_back(std::move(r));
    }
    if (client) client->shutdown();
  }
  co_return out;
}

std::string probe_text(const std::vector<ProbeResult>& results) {
  std::string out;
  char ms[32];
  for (const auto& r : results) {
    const std::string target = r.provider + (r.model.empty() ? "" : "/" + r.model);
    const auto* bad = r.failed();
    out += bad ? "FAIL  " : "ok    ";
    out += target;
    out += std::string(target.size() < 36 ? 36 - target.size() : 1, ' ');
    if (bad) {
      out += bad->name + ": " + bad->detail;
    } else {
      for (std::size_t i = 0; i < r.steps.size(); ++i) {
        std::snprintf(ms, sizeof ms, "%.1f ms", r.steps[i].ms);
        out += (i ? " · " : "") + r.steps[i].name + " " + ms;
      }
    }
    out += '\n';
  }
  return out;
}

std::string probe_json(const std::vector<ProbeResult>& results) {
  json::array list;
  bool all = !results.empty();
  for (const auto& r : results) {
    json::array steps;
    for (const auto& s : r.steps) steps.push_back(json::object{{"name", s.name}, {"ok", s.ok}, {"ms", s.ms}, {"detail", s.detail}});
    list.push_back(json::object{{"provider", r.provider}, {"model", r.model}, {"ok", r.ok()}, {"steps", std::move(steps)}});
    all = all && r.ok();
  }
  return json::serialize(json::object{{"ok", all}, {"results", std::move(list)}});
}

}  // namespace switchyard::probe
