#include "mock/mock_provider.hpp"
#include "mock/mock_bedrock.hpp"
#include "providers/google_service_account.hpp"
#include "text/base64.hpp"

#include "providers/embeddings.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/json.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <charconv>
#include <random>
#include <list>
#include <set>
#include <chrono>

namespace switchyard::mock {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;
constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);

namespace {

constexpr std::string_view kWords[] = {"Hello", "from", "the", "Switchyard", "mock", "provider,", "streaming",
                                       "tokens", "one", "at", "a", "time."};

template <class T>
bool parse_number(std::string_view s, T& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

void apply_override(MockBehaviour& b, std::string_view key, std::string_view value) {
  if (key == "status") {
    unsigned v;
    if (parse_number(value, v) && v >= 100 && v <= 599) b.status = v;
  } else if (key == "retry_after") {
    b.retry_after = std::string(value);
  } else if (key == "ttft_ms") {
    long v;
    if (parse_number(value, v) && v >= 0) b.ttft = Millis(v);
  } else if (key == "tokens_per_second") {
    double v;
    if (parse_number(value, v) && v >= 0) b.tokens_per_second = v;
  } else if (key == "tokens") {
    int v;
    if (parse_number(value, v) && v >= 0 && v <= 1'000'000) b.tokens = v;
  } else if (key == "fault") {
    parse_fault(value, b);
  } else if (key == "fail_rate") {
    double v;
    if (parse_number(value, v) && v >= 0 && v <= 1) b.fail_rate = v;
  } else if (key == "comments") {
    b.comments = value == "1" || value == "true";
  } else if (key == "burst") {
    b.burst = value == "1" || value == "true";
  } else if (key == "float_only") {
    b.float_only = value == "1" || value == "true";
  } else if (key == "echo_key") {
    b.echo_key = value == "1" || value == "true";
  } else if (key == "ratelimit_remaining_requests") {
    int v;
    if (parse_number(value, v) && v >= 0) b.ratelimit_remaining_requests = v;
  } else if (key == "ratelimit_reset_requests") {
    b.ratelimit_reset_requests = std::string(value.substr(0, 32));
  } else if (key == "fail_status") {
    unsigned v;
    if (parse_number(value, v) && v >= 100 && v <= 599) b.fail_status = v;
  }
}

std::string count_prompt_tokens(const boost::json::object& body, int& tokens) {
  tokens = 0;
  if (const auto* msgs = body.if_contains("messages"); msgs && msgs->is_array()) {
    for (const auto& m : msgs->as_array()) {
      if (const auto* c = m.is_object() ? m.as_object().if_contains("content") : nullptr; c && c->is_string()) {
        std::string_view s = c->as_string();
        bool in_word = false;
        for (char ch : s) {
          const bool space = ch == ' ' || ch == '\n' || ch == '\t';
          if (!space && !in_word) ++tokens;
          in_word = !space;
        }
      }
      tokens += 3;  // per-message overhead, like OpenAI's counting
    }
  }
  return {};
}

std::string embedding_json(const std::vector<double>& v, bool base64) {
  if (!base64) return boost::json::serialize(boost::json::value_from(v));
  boost::json::array a;
  for (double x : v) a.emplace_back(x);
  std::string out = "\"";
  providers::append_float32_base64(out, a);
  out += '"';
  return out;
}

}  // namespace

std::vector<double> mock_embedding(std::string_view text, int dims) {
  std::uint64_t h = 1469598103934665603ull;  // FNV-1a, then a mixer per value
  for (char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  std::vector<double> v(static_cast<std::size_t>(std::max(1, dims)));
  for (auto& x : v) {
    h += 0x9e3779b97f4a7c15ull;
    std::uint64_t z = h;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    x = static_cast<double>(static_cast<std::int64_t>(z % 2000001) - 1000000) / 1e6;
  }
  return v;
}

bool parse_fault(std::string_view text, MockBehaviour& b) {
  auto after = [&](std::string_view prefix, Fault f) {
    if (text.substr(0, prefix.size()) != prefix) return false;
    int n;
    if (!parse_number(text.substr(prefix.size()), n) || n < 0) return false;
    b.fault = f;
    b.fault_after = n;
    return true;
  };
  if (text == "none" || text.empty()) {
    b.fault = Fault::none;
    return true;
  }
  if (text == "reset") {
    b.fault = Fault::reset;
    return true;
  }
  if (text == "hang") {
    b.fault = Fault::hang;
    return true;
  }
  for (auto [name, f] : {std::pair{"bad-chunk", Fault::bad_chunk}, std::pair{"trail-after-done", Fault::trail_after_done},
                         std::pair{"endless-chunk-ext", Fault::endless_chunk_ext}, std::pair{"content-filter", Fault::content_filter}}) {
    if (text == name) {
      b.fault = f;
      return true;
    }
  }
  return after("stall-after:", Fault::stall_after) || after("reset-after:", Fault::reset_after) ||
         after("error-after:", Fault::error_after);
}

struct MockProvider::Impl {
  Impl(asio::any_io_executor e, MockOptions o) : ex(std::move(e)), options(std::move(o)), acceptor(ex) {
    if (!options.tls_cert_file.empty() && !options.tls_key_file.empty()) {
      tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
      tls->use_certificate_chain_file(options.tls_cert_file);
      tls->use_private_key_file(options.tls_key_file, asio::ssl::context::pem);
    }
  }

  asio::any_io_executor ex;
  MockOptions options;
  tcp::acceptor acceptor;
  std::unique_ptr<asio::ssl::context> tls;
  MockStats stats;
  std::uint64_t next_id = 0;
  bool stopping = false;
  struct Conn {
    beast::tcp_stream* stream;
    bool idle = false;  // waiting for the next request
  };
  std::list<Conn> open;  // to close them on stop() or close_idle()

  // Waits `d`, or until the peer closes; false when the peer closed.
  static asio::awaitable<bool> pause(beast::tcp_stream& lowest, Millis d) {
    if (d.count() <= 0) co_return true;
    asio::steady_timer timer(lowest.get_executor(), d);
    auto r = co_await (timer.async_wait(use_nothrow) || lowest.socket().async_wait(tcp::socket::wait_read, use_nothrow));
    if (r.index() == 0) co_return true;
    boost::system::error_code ec;
    if (lowest.socket().available(ec) > 0 && !ec) {  // pipelined bytes, not a close: finish the wait
      co_await timer.async_wait(use_nothrow);
      co_return true;
    }
    co_return false;
  }

  // burst = 1: the stream's events are held by the kernel (TCP_CORK) and
  // leave together when the answer ends, as a provider's burst of events
  // arriving in one read. Uncorked when the scope ends, on every path.
  struct Corked {
    Corked(beast::tcp_stream& lowest, bool on) : fd(on ? lowest.socket().native_handle() : -1) { set(1); }
    ~Corked() { set(0); }
    void set(int v) const {
      if (fd >= 0) ::setsockopt(fd, IPPROTO_TCP, TCP_CORK, &v, sizeof v);
    }
    int fd;
  };

  static void reset(beast::tcp_stream& lowest) {
    boost::system::error_code ec;
    lowest.socket().set_option(asio::socket_base::linger(true, 0), ec);
    lowest.socket().close(ec);
  }

  std::map<std::string, MockBehaviour> by_key;
  std::set<std::string> cache_prefixes;  // Anthropic prompt caching: the cacheable prefixes seen
  std::set<std::string> issued_tokens;   // Vertex: the access tokens /token handed out
  std::mt19937_64 rng{12345};  // seeded: a fail_rate run is repeatable

  MockBehaviour behaviour_for(const http::request<http::string_body>& req, const boost::json::object* body) {
    MockBehaviour b = options.defaults;
    if (!by_key.empty()) {
      if (auto it = by_key.find(stats.last_authorization); it != by_key.end()) b = it->second;
    }
    static constexpr std::pair<std::string_view, std::string_view> headers[] = {
        {"x-mock-status", "status"},   {"x-mock-retry-after", "retry_after"}, {"x-mock-ttft-ms", "ttft_ms"},
        {"x-mock-tps", "tokens_per_second"}, {"x-mock-tokens", "tokens"},       {"x-mock-fault", "fault"},
        {"x-mock-fail-rate", "fail_rate"}, {"x-mock-fail-status", "fail_status"}, {"x-mock-comments", "comments"}, {"x-mock-burst", "burst"},
        {"x-mock-echo-key", "echo_key"}};
    for (auto [h, key] : headers) {
      if (auto it = req.find(h); it != req.end()) apply_override(b, key, it->value());
    }
    if (body) {
      if (const auto* m = body->if_contains("mock"); m && m->is_object()) {
        for (const auto& [k, v] : m->as_object()) {
          if (v.is_string()) apply_override(b, k, v.as_string());
          else if (v.is_number()) apply_override(b, k, boost::json::serialize(v));
        }
      }
    }
    return b;
  }

  std::string completion_json(std::string_view id, std::string_view model, int tokens, int prompt_tokens) {
    std::string content;
    for (int i = 0; i < tokens; ++i) {
      if (i) content += ' ';
      content += kWords[i % std::size(kWords)];
    }
    boost::json::object o{
        {"id", id},
        {"object", "chat.completion"},
        {"created", 1700000000},
        {"model", model},
        {"choices", boost::json::array{boost::json::object{
                        {"index", 0},
                        {"message", boost::json::object{{"role", "assistant"}, {"content", content}}},
                        {"logprobs", nullptr},
                        {"finish_reason", "stop"}}}},
        {"usage", boost::json::object{{"prompt_tokens", prompt_tokens},
                                      {"completion_tokens", tokens},
                                      {"total_tokens", prompt_tokens + tokens}}}};
    return boost::json::serialize(o);
  }

  // With echo_key, an error text repeats the credential as received (as
  // some providers do: "Incorrect API key provided: sk-...").
  std::string echoed(const MockBehaviour& b, std::string text) const {
    if (!b.echo_key) return text;
    const auto at = text.find("\"message\":\"");
    if (at == std::string::npos) return text;
    std::string key = stats.last_authorization;
    for (auto& c : key) {
      if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) c = '?';
    }
    text.insert(at + 11, "Incorrect API key provided: " + key + ". ");
    return text;
  }

  template <class Stream>
  asio::awaitable<bool> write_chunk(Stream& s, beast::tcp_stream& lowest, std::string_view data, bool comment = false) {
    lowest.expires_after(std::chrono::seconds(30));
    if (comment) {
      auto [ec, n] = co_await asio::async_write(s, http::make_chunk(asio::buffer(std::string_view(": OPENROUTER PROCESSING\n\n"))), use_nothrow);
      if (ec) co_return false;
    }
    const std::array<asio::const_buffer, 3> bufs{asio::buffer(std::string_view("data: ")), asio::buffer(data),
                                                 asio::buffer(std::string_view("\n\n"))};
    auto [ec, n] = co_await asio::async_write(s, http::make_chunk(bufs), use_nothrow);
    if (!ec) stats.stream_bytes_sent += data.size() + 8;
    co_return !ec;
  }

  // Sends b.tokens words, one frame each (`send_word(i)` → awaitable<bool>),
  // paced by tokens_per_second, with the mid-stream faults (stall, reset, or
  // `send_error()` then the end of the body). False when the stream stopped.
  template <class Stream, class SendWord, class SendError>
  asio::awaitable<bool> stream_words(Stream& s, beast::tcp_stream& lowest, const MockBehaviour& b, SendWord send_word,
                                     SendError send_error) {
    const Millis gap = b.tokens_per_second > 0 ? Millis(static_cast<long>(1000.0 / b.tokens_per_second)) : Millis(0);
    for (int i = 0; i < b.tokens; ++i) {
      if (b.fault != Fault::none && i == b.fault_after) {
        if (b.fault == Fault::stall_after) {
          if (!co_await pause(lowest, options.hang_limit)) stats.peer_closed_mid_response++;
          co_return false;
        }
        if (b.fault == Fault::reset_after) {
          reset(lowest);
          co_return false;
        }
        if (b.fault == Fault::error_after) {
          co_await send_error();
          co_await asio::async_write(s, http::make_chunk_last(), use_nothrow);
          co_return false;
        }
      }
      if (i > 0 && !co_await pause(lowest, gap)) co_return stats.peer_closed_mid_response++, false;
      if (!co_await send_word(i)) co_return stats.peer_closed_mid_response++, false;
    }
    co_return true;
  }

  // Returns false when the connection must close.
  template <class Stream>
  asio::awaitable<bool> stream_answer(Stream& s, beast::tcp_stream& lowest, const MockBehaviour& b, std::string_view id,
                                      std::string_view model, bool include_usage, int prompt_tokens, bool keep_alive) {
    const Corked corked(lowest, b.burst);
    if (!co_await open_event_stream(s, lowest, keep_alive)) co_return false;

    const std::string prefix = R"({"id":")" + std::string(id) +
                               R"(","object":"chat.completion.chunk","created":1700000000,"model":")" +
                               std::string(model) + R"(","system_fingerprint":"fp_mock","choices":[{"index":0,"delta":)";
    const std::string_view usage_null = include_usage ? R"(,"usage":null)" : "";
    std::string chunk;
    std::string error_frame;
    chunk.reserve(prefix.size() + 256);
    auto make = [&](std::string_view delta, std::string_view finish) {
      chunk.assign(prefix);
      chunk += delta;
      chunk += R"(,"logprobs":null,"finish_reason":)";
      chunk += finish;
      chunk += "}]";
      chunk += usage_null;
      chunk += '}';
    };

    if (!co_await pause(lowest, b.ttft)) co_return stats.peer_closed_mid_response++, false;
    if (b.fault == Fault::error_after && b.fault_after == 0) {  // fails before the first chunk
      const auto frame = echoed(b, R"({"error":{"message":"mock failure before the first chunk","type":"server_error","code":502}})");
      co_await write_chunk(s, lowest, frame);
      co_await asio::async_write(s, http::make_chunk_last(), use_nothrow);
      co_return false;
    }
    make(R"({"role":"assistant","content":""})", "null");
    if (!co_await write_chunk(s, lowest, chunk, b.comments)) co_return stats.peer_closed_mid_response++, false;
    if (b.fault == Fault::bad_chunk && !co_await write_chunk(s, lowest, R"({"id":"bad","object":"chat.completion.chunk","choices":[5]})")) {
      co_return false;
    }

    if (!co_await stream_words(s, lowest, b, [&](int i) {
          std::string delta = R"({"content":")";
          if (i) delta += ' ';
          delta += kWords[i % std::size(kWords)];
          delta += "\"}";
          make(delta, "null");
          return write_chunk(s, lowest, chunk, b.comments);
        }, [&] {
          error_frame = echoed(b, R"({"error":{"message":"mock failure in the middle of the stream","type":"server_error","code":502}})");
          return write_chunk(s, lowest, error_frame);
        })) {
      co_return false;
    }
    make("{}", "\"stop\"");
    if (!co_await write_chunk(s, lowest, chunk)) co_return false;
    if (include_usage) {
      chunk = R"({"id":")" + std::string(id) +
              R"(","object":"chat.completion.chunk","created":1700000000,"model":")" + std::string(model) +
              R"(","choices":[],"usage":{"prompt_tokens":)" + std::to_string(prompt_tokens) +
              R"(,"completion_tokens":)" + std::to_string(b.tokens) + R"(,"total_tokens":)" +
              std::to_string(prompt_tokens + b.tokens) + "}}";
      if (!co_await write_chunk(s, lowest, chunk)) co_return false;
    }
    if (!co_await write_chunk(s, lowest, "[DONE]")) co_return false;
    if (b.fault == Fault::trail_after_done) {
      // Keep-alive comments after the end, for as long as the client listens.
      const auto until = std::chrono::steady_clock::now() + options.hang_limit;
      while (std::chrono::steady_clock::now() < until) {
        if (!co_await pause(lowest, Millis(50))) co_return stats.peer_closed_mid_response++, false;
        auto [cec, cn] = co_await asio::async_write(s, http::make_chunk(asio::buffer(std::string_view(": keep-alive\n\n"))), use_nothrow);
        if (cec) co_return stats.peer_closed_mid_response++, false;
      }
    }
    auto [ec, n] = co_await asio::async_write(s, http::make_chunk_last(), use_nothrow);
    co_return !ec && keep_alive;
  }

  // A complete JSON response; false when the connection must close.
  template <class Stream>
  static asio::awaitable<bool> respond_json(Stream& s, beast::tcp_stream& lowest, unsigned status, std::string body,
                                            const MockBehaviour* b, bool keep_alive) {
    http::response<http::string_body> res{static_cast<http::status>(status), 11};
    res.set(http::field::content_type, "application/json");
    if (b && !b->retry_after.empty()) res.set(http::field::retry_after, b->retry_after);
    if (b && b->ratelimit_remaining_requests >= 0) {  // an OpenAI-style quota report
      res.set("x-ratelimit-remaining-requests", std::to_string(b->ratelimit_remaining_requests));
      res.set("x-ratelimit-reset-requests", b->ratelimit_reset_requests);
    }
    res.body() = std::move(body);
    res.keep_alive(keep_alive);
    res.prepare_payload();
    lowest.expires_after(std::chrono::seconds(30));
    auto [ec, n] = co_await http::async_write(s, res, use_nothrow);
    co_return !ec && keep_alive;
  }

  // The faults that come before any answer: reset, hang, an error status
  // (fail_rate included) with `error_body(status)` in the API's shape.
  // Returns kAnswer to go on and answer; else the request was dealt with:
  // kKeep (the connection stays open) or kClose.
  using ErrorBody = std::string (*)(unsigned status);
  // An enum, not std::optional<bool>: with GCC 12 an awaitable<std::optional<bool>>
  // member-template coroutine trapped on its first resume.
  enum Dealt { kAnswer, kKeep, kClose };
  template <class Stream>
  asio::awaitable<Dealt> fail_first(Stream& s, beast::tcp_stream& lowest, MockBehaviour& b, bool keep_alive,
                                                  ErrorBody error_body) {
    if (b.fail_rate > 0 && std::uniform_real_distribution<double>(0, 1)(rng) < b.fail_rate) b.status = b.fail_status;
    if (b.fault == Fault::reset) {
      reset(lowest);
      co_return kClose;
    }
    if (b.fault == Fault::hang) {
      if (!co_await pause(lowest, options.hang_limit)) stats.peer_closed_mid_response++;
      co_return kClose;
    }
    if (b.fault == Fault::endless_chunk_ext) {
      // A chunk header that never ends: "1;ext=aaaa..." for as long as the client reads (64 MiB at most).
      lowest.expires_after(std::chrono::seconds(30));
      auto [hec, hn] = co_await asio::async_write(
          s, asio::buffer(std::string_view("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n1;ext=")),
          use_nothrow);
      const std::string pad(64 * 1024, 'a');
      for (int i = 0; !hec && i < 1024; ++i) {
        auto [ec, n] = co_await asio::async_write(s, asio::buffer(pad), use_nothrow);
        if (ec) break;
      }
      co_return kClose;
    }
    if (b.status == 200) co_return kAnswer;
    if (!co_await pause(lowest, b.ttft)) co_return kClose;
    const bool keep = co_await respond_json(s, lowest, b.status, echoed(b, error_body(b.status)), &b, keep_alive);
    co_return keep ? kKeep : kClose;
  }

  // What an Anthropic answer says, decided from the request (the same for a whole answer and a stream).
  struct AnthropicReply {
    std::string model, id, tool_name, text, signature, usage_extra;
    int prompt_tokens = 0;
    bool thinking = false;
  };
  AnthropicReply anthropic_reply(const http::request<http::string_body>& req, const boost::json::object& body, const MockBehaviour& b) {
    AnthropicReply a;
    a.model = body.contains("model") && body.at("model").is_string() ? std::string(body.at("model").as_string()) : "claude-mock";
    count_prompt_tokens(body, a.prompt_tokens);
    a.id = "msg_mock_" + std::to_string(++next_id);
    if (const auto* tools = body.if_contains("tools"); tools && tools->is_array() && !tools->as_array().empty()) {
      a.tool_name = std::string(tools->as_array()[0].at("name").as_string());
    }
    for (int i = 0; i < b.tokens; ++i) {
      if (i) a.text += ' ';
      a.text += kWords[i % std::size(kWords)];
    }
    const auto* thinking_v = body.if_contains("thinking");
    a.thinking = thinking_v && thinking_v->is_object() && thinking_v->as_object().contains("type") &&
                          thinking_v->as_object().at("type") == "enabled";
    a.signature = "sig-mock-" + std::to_string(next_id);
    // Prompt caching: what the request marks cacheable is "written" the first time, "read" after.
    if (req.body().find("\"cache_control\"") != std::string::npos) {
      std::string prefix;
      if (const auto* sys = body.if_contains("system")) prefix += boost::json::serialize(*sys);
      if (const auto* tools = body.if_contains("tools")) prefix += boost::json::serialize(*tools);
      const bool seen = !cache_prefixes.insert(prefix).second;
      if (cache_prefixes.size() > 1000) cache_prefixes.clear();
      a.usage_extra = seen ? R"(,"cache_creation_input_tokens":0,"cache_read_input_tokens":1000)" : R"(,"cache_creation_input_tokens":1000,"cache_read_input_tokens":0)";
    }
    return a;
  }

  // Anthropic Messages mode: the same behaviours, answered in Anthropic's
  // shapes (JSON message, or the event stream); with tools in the request the
  // answer is a tool_use block for the first tool. Returns false to close.
  // Bedrock's InvokeModel for an Anthropic model: the model comes from the
  // path, streaming from the operation, and a stream's events are EventStream
  // `chunk` frames carrying each event's JSON in base64.
  struct BedrockInvoke {
    std::string model;
    bool stream = false;
    bool eventstream = true;  // Bedrock's framing; false: SSE (Vertex's streamRawPredict)
  };

  template <class Stream>
  asio::awaitable<bool> anthropic_answer(Stream& s, beast::tcp_stream& lowest, const http::request<http::string_body>& req,
                                         bool keep_alive, const BedrockInvoke* bedrock = nullptr) {
    auto respond = [&](unsigned status, std::string body, const MockBehaviour* b) {
      return respond_json(s, lowest, status, std::move(body), b, keep_alive);
    };
    boost::system::error_code jec;
    auto parsed = boost::json::parse(req.body(), jec);
    if (jec || !parsed.is_object()) {
      co_return co_await respond(400, R"({"type":"error","error":{"type":"invalid_request_error","message":"mock: body is not JSON"}})", nullptr);
    }
    const auto& body = parsed.as_object();
    if (!body.contains("max_tokens") || !body.contains("messages")) {
      co_return co_await respond(400, R"({"type":"error","error":{"type":"invalid_request_error","message":"mock: max_tokens and messages are required"}})", nullptr);
    }
    MockBehaviour b = behaviour_for(req, &body);
    const auto done = co_await fail_first(s, lowest, b, keep_alive, [](unsigned status) -> std::string {
          const std::string type = status == 429 ? "rate_limit_error" : status == 529 ? "overloaded_error" : status >= 500 ? "api_error" : "invalid_request_error";
          return R"({"type":"error","error":{"type":")" + type + R"(","message":"mock error with status )" + std::to_string(status) + "\"}}";
        });
    if (done != kAnswer) co_return done == kKeep;
    AnthropicReply a = anthropic_reply(req, body, b);
    if (bedrock) a.model = bedrock->model;
    const auto* stream = body.if_contains("stream");
    const bool streamed = bedrock ? bedrock->stream : stream && stream->is_bool() && stream->as_bool();
    if (!streamed) {
      if (!co_await pause(lowest, b.ttft)) co_return false;
      boost::json::array content{boost::json::object{{"type", "text"}, {"text", a.text}}};
      if (a.thinking) content.insert(content.begin(), boost::json::object{{"type", "thinking"}, {"thinking", "Let me think it over."}, {"signature", a.signature}});
      if (!a.tool_name.empty()) content.push_back(boost::json::object{{"type", "tool_use"}, {"id", "toolu_mock_1"}, {"name", a.tool_name}, {"input", boost::json::object{{"city", "Paris"}}}});
      boost::json::object msg{{"id", a.id}, {"type", "message"}, {"role", "assistant"}, {"model", a.model}, {"content", std::move(content)},
                              {"stop_reason", a.tool_name.empty() ? "end_turn" : "tool_use"}, {"stop_sequence", nullptr},
                              {"usage", boost::json::object{{"input_tokens", a.prompt_tokens}, {"output_tokens", b.tokens}}}};
      std::string answer = boost::json::serialize(msg);
      if (!a.usage_extra.empty()) answer.insert(answer.rfind("}}"), a.usage_extra);  // into the usage object, last in the message
      co_return co_await respond(200, std::move(answer), nullptr);
    }
    co_return co_await anthropic_events(s, lowest, b, a, keep_alive, bedrock != nullptr && bedrock->eventstream);
  }

  // An Anthropic answer as its event stream (thinking, text, a tool_use block). Returns false to close.
  template <class Stream>
  asio::awaitable<bool> anthropic_events(Stream& s, beast::tcp_stream& lowest, const MockBehaviour& b, const AnthropicReply& a, bool keep_alive,
                                         bool bedrock = false) {
    const Corked corked(lowest, b.burst);
    if (!co_await open_event_stream(s, lowest, keep_alive, bedrock ? "application/vnd.amazon.eventstream" : "text/event-stream")) co_return false;
    auto event = [&](std::string_view name, std::string data) -> asio::awaitable<bool> {
      std::string frame;
      if (!bedrock) {
        frame = "event: " + std::string(name) + "\ndata: " + data + "\n\n";
      } else if (name == "error") {  // Bedrock ends a stream with an exception frame, not an error event
        frame = exception_frame("throttlingException", "Too many requests, please wait before trying again.");
      } else if (name != "ping") {
        std::string payload = R"({"bytes":")";
        text::append_base64(payload, data);
        payload += R"(","p":"abcdefghij"})";  // Bedrock's padding member
        frame = event_frame("chunk", payload);
      }
      if (frame.empty()) co_return true;
      lowest.expires_after(std::chrono::seconds(30));
      auto [ec, n] = co_await asio::async_write(s, http::make_chunk(asio::buffer(frame)), use_nothrow);
      co_return !ec;
    };
    if (!co_await pause(lowest, b.ttft)) co_return stats.peer_closed_mid_response++, false;
    if (!co_await event("message_start", R"({"type":"message_start","message":{"id":")" + a.id + R"(","type":"message","role":"assistant","content":[],"model":")" + a.model + R"(","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":)" + std::to_string(a.prompt_tokens) + a.usage_extra + R"(,"output_tokens":1}}})")) co_return false;
    co_await event("ping", R"({"type":"ping"})");
    const int text_index = a.thinking ? 1 : 0;
    if (a.thinking) {
      co_await event("content_block_start", R"({"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}})");
      co_await event("content_block_delta", R"({"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Let me think it over."}})");
      co_await event("content_block_delta", R"({"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":")" + a.signature + R"("}})");
      co_await event("content_block_stop", R"({"type":"content_block_stop","index":0})");
    }
    co_await event("content_block_start", R"({"type":"content_block_start","index":)" + std::to_string(text_index) + R"(,"content_block":{"type":"text","text":""}})");
    if (!co_await stream_words(s, lowest, b, [&](int i) {
          std::string word = i ? " " : "";
          word += kWords[i % std::size(kWords)];
          return event("content_block_delta", R"({"type":"content_block_delta","index":)" + std::to_string(text_index) + R"(,"delta":{"type":"text_delta","text":)" + boost::json::serialize(boost::json::value(word)) + "}}");
        }, [&] {
          const std::string error_frame = echoed(b, R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})");
          return event("error", error_frame);
        })) {
      co_return false;
    }
    co_await event("content_block_stop", R"({"type":"content_block_stop","index":)" + std::to_string(text_index) + "}");
    if (!a.tool_name.empty()) {
      const std::string ti = std::to_string(text_index + 1);
      co_await event("content_block_start", R"({"type":"content_block_start","index":)" + ti + R"(,"content_block":{"type":"tool_use","id":"toolu_mock_1","name":)" + boost::json::serialize(boost::json::value(a.tool_name)) + R"(,"input":{}}})");
      co_await event("content_block_delta", R"({"type":"content_block_delta","index":)" + ti + R"(,"delta":{"type":"input_json_delta","partial_json":"{\"city\": \"Pa"}})");
      co_await event("content_block_delta", R"({"type":"content_block_delta","index":)" + ti + R"(,"delta":{"type":"input_json_delta","partial_json":"ris\"}"}})");
      co_await event("content_block_stop", R"({"type":"content_block_stop","index":)" + ti + "}");
    }
    co_await event("message_delta", R"({"type":"message_delta","delta":{"stop_reason":")" + std::string(a.tool_name.empty() ? "end_turn" : "tool_use") + R"(","stop_sequence":null},"usage":{"output_tokens":)" + std::to_string(b.tokens) + "}}");
    if (!co_await event("message_stop", R"({"type":"message_stop"})")) co_return false;
    auto [ec, n] = co_await asio::async_write(s, http::make_chunk_last(), use_nothrow);
    co_return !ec && keep_alive;
  }

  // Gemini mode (POST .../models/{model}:generateContent, or
  // :streamGenerateContent?alt=sse): the same behaviours in Gemini's shapes;
  // a stream is one whole response per frame, CRLF-framed, without [DONE].
  // With function declarations in the request the answer calls the first one.
  // A Gemini request's prompt size (~4 characters a token) and the first declared function, which the answer calls.
  static void read_gemini_request(const boost::json::object& body, int& prompt_tokens, std::string& tool_name) {
    for (const auto& c : body.at("contents").as_array()) {
      const auto* parts = c.is_object() ? c.as_object().if_contains("parts") : nullptr;
      if (!parts || !parts->is_array()) continue;
      for (const auto& p : parts->as_array()) {
        const auto* text = p.is_object() ? p.as_object().if_contains("text") : nullptr;
        if (text && text->is_string()) prompt_tokens += static_cast<int>(text->as_string().size() / 4) + 1;
      }
    }
    if (const auto* tools = body.if_contains("tools"); tools && tools->is_array() && !tools->as_array().empty()) {
      const auto& first = tools->as_array()[0];
      const auto* decls = first.is_object() ? first.as_object().if_contains("functionDeclarations") : nullptr;
      if (decls && decls->is_array() && !decls->as_array().empty()) tool_name = std::string(decls->as_array()[0].at("name").as_string());
    }
  }

  template <class Stream>
  asio::awaitable<bool> gemini_answer(Stream& s, beast::tcp_stream& lowest, const http::request<http::string_body>& req,
                                      std::string_view model, bool stream, bool keep_alive) {
    ErrorBody error_body = [](unsigned status) -> std::string {
      const std::string rpc = status == 429 ? "RESOURCE_EXHAUSTED" : status == 503 ? "UNAVAILABLE" : status >= 500 ? "INTERNAL"
                            : status == 404 ? "NOT_FOUND" : status == 401 ? "UNAUTHENTICATED" : "INVALID_ARGUMENT";
      return R"({"error":{"code":)" + std::to_string(status) + R"(,"message":"mock error with status )" + std::to_string(status) +
             R"(","status":")" + rpc + "\"}}";
    };
    boost::system::error_code jec;
    auto parsed = boost::json::parse(req.body(), jec);
    if (jec || !parsed.is_object() || !parsed.as_object().contains("contents")) {
      co_return co_await respond_json(s, lowest, 400, error_body(400), nullptr, keep_alive);
    }
    const auto& body = parsed.as_object();
    MockBehaviour b = behaviour_for(req, &body);
    const auto done = co_await fail_first(s, lowest, b, keep_alive, error_body);
    if (done != kAnswer) co_return done == kKeep;
    int prompt_tokens = 0;
    std::string tool_name;
    read_gemini_request(body, prompt_tokens, tool_name);
    const std::string id = "mock-resp-" + std::to_string(++next_id);
    auto usage = [&](int completion) {
      return R"("usageMetadata":{"promptTokenCount":)" + std::to_string(prompt_tokens) + R"(,"candidatesTokenCount":)" +
             std::to_string(completion) + R"(,"totalTokenCount":)" + std::to_string(prompt_tokens + completion) + "}";
    };
    auto response = [&](const std::string& parts, std::string_view finish, int completion) {
      std::string r = R"({"candidates":[{"content":{"parts":[)" + parts + R"(],"role":"model"},)";
      if (!finish.empty()) r += R"("finishReason":")" + std::string(finish) + "\",";
      r += R"("index":0}],)" + usage(completion) + R"(,"modelVersion":)" + boost::json::serialize(boost::json::value(model)) +
           R"(,"responseId":")" + id + "\"}";
      return r;
    };
    // Thought summaries when asked for (generationConfig.thinkingConfig.includeThoughts).
    bool thoughts = false;
    if (const auto* gen = body.if_contains("generationConfig"); gen && gen->is_object()) {
      const auto* tc = gen->as_object().if_contains("thinkingConfig");
      const auto* inc = tc && tc->is_object() ? tc->as_object().if_contains("includeThoughts") : nullptr;
      thoughts = inc && inc->is_bool() && inc->as_bool();
    }
    const std::string thought_part = R"({"text":"Weighing the question.","thought":true})";
    const std::string call = tool_name.empty() ? "" : R"({"functionCall":{"name":)" + boost::json::serialize(boost::json::value(tool_name)) + R"(,"args":{"city":"Paris"}}})";
    if (!stream) {
      if (b.fault == Fault::stall_after || b.fault == Fault::reset_after || b.fault == Fault::error_after) {
        reset(lowest);
        co_return false;
      }
      if (!co_await pause(lowest, b.ttft)) co_return false;
      std::string text;
      for (int i = 0; i < b.tokens; ++i) {
        if (i) text += ' ';
        text += kWords[i % std::size(kWords)];
      }
      std::string parts = (thoughts ? thought_part + "," : std::string()) + R"({"text":)" + boost::json::serialize(boost::json::value(text)) + "}";
      if (!call.empty()) parts += "," + call;
      co_return co_await respond_json(s, lowest, 200, response(parts, "STOP", b.tokens), nullptr, keep_alive);
    }
    std::string error_frame;
    if (!co_await open_event_stream(s, lowest, keep_alive)) co_return false;
    auto frame = [&](std::string data) -> asio::awaitable<bool> {
      const std::string f = "data: " + data + "\r\n\r\n";
      lowest.expires_after(std::chrono::seconds(30));
      auto [ec, n] = co_await asio::async_write(s, http::make_chunk(asio::buffer(f)), use_nothrow);
      co_return !ec;
    };
    if (!co_await pause(lowest, b.ttft)) co_return stats.peer_closed_mid_response++, false;
    if (!co_await stream_words(s, lowest, b, [&](int i) {
          std::string word = i ? " " : "";
          word += kWords[i % std::size(kWords)];
          return frame(response((thoughts && i == 0 ? thought_part + "," : std::string()) + R"({"text":)" + boost::json::serialize(boost::json::value(word)) + "}", "", i + 1));
        }, [&] {
          error_frame = echoed(b, R"({"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}})");
          return frame(error_frame);
        })) {
      co_return false;
    }
    std::string last = response(call.empty() ? R"({"text":""})" : call, "STOP", b.tokens);  // named: GCC 12 destroys some temporaries inside co_await twice
    if (!co_await frame(std::move(last))) co_return false;
    auto [ec, n] = co_await asio::async_write(s, http::make_chunk_last(), use_nothrow);
    co_return !ec && keep_alive;
  }

  // Starts a chunked text/event-stream response.
  template <class Stream>
  asio::awaitable<bool> open_event_stream(Stream& s, beast::tcp_stream& lowest, bool keep_alive,
                                          std::string_view content_type = "text/event-stream") {
    http::response<http::empty_body> head{http::status::ok, 11};
    head.set(http::field::content_type, content_type);
    head.set(http::field::cache_control, "no-cache");
    head.chunked(true);
    head.keep_alive(keep_alive);
    http::response_serializer<http::empty_body> sr{head};
    lowest.expires_after(std::chrono::seconds(30));
    auto [ec, n] = co_await http::async_write_header(s, sr, use_nothrow);
    co_return !ec;
  }

  // Stats a test reads back: the last request's path, body, credential and request id.
  void record(const http::request<http::string_body>& req) {
    if (req.target() == "/_mock/last") return;  // asking what came last is not a request
    ++stats.requests;
    stats.last_path = std::string(req.target());
    stats.last_body = req.body();
    stats.last_authorization.clear();
    if (auto it = req.find(http::field::authorization); it != req.end()) {
      const std::string akid = sigv4_access_key_id(it->value());  // a signature changes every time: the key it names
      stats.last_authorization = akid.empty() ? std::string(it->value()) : "aws4 " + akid;
    }
    else if (auto key = req.find("x-api-key"); key != req.end()) stats.last_authorization = "x-api-key " + std::string(key->value());
    else if (auto goog = req.find("x-goog-api-key"); goog != req.end()) stats.last_authorization = "x-goog-api-key " + std::string(goog->value());
    else if (auto azure = req.find("api-key"); azure != req.end()) stats.last_authorization = "api-key " + std::string(azure->value());
    ++stats.requests_by_authorization[stats.last_authorization];
    stats.last_request_id.clear();
    if (auto it = req.find("x-request-id"); it != req.end()) stats.last_request_id = std::string(it->value());
    stats.last_anthropic_beta.clear();
    if (auto it = req.find("anthropic-beta"); it != req.end()) stats.last_anthropic_beta = std::string(it->value());
    stats.last_traceparent.clear();
    if (auto it = req.find("traceparent"); it != req.end()) stats.last_traceparent = std::string(it->value());
    if (!stats.last_traceparent.empty()) stats.traceparents.push_back(stats.last_traceparent);
  }

  // POST /v1/chat/completions, answered in OpenAI's format. False: close the connection.
  template <class Stream>
  asio::awaitable<bool> openai_answer(Stream& s, beast::tcp_stream& lowest, const http::request<http::string_body>& req, bool keep_alive,
                                      std::string deployment = {}) {
    auto respond = [&](unsigned status, std::string body, const MockBehaviour* b) {
      return respond_json(s, lowest, status, std::move(body), b, keep_alive);
    };
    boost::system::error_code jec;
    auto parsed = boost::json::parse(req.body(), jec);
    if (jec || !parsed.is_object()) {
      co_return co_await respond(400, R"({"error":{"message":"mock: body is not a JSON object","type":"invalid_request_error","param":null,"code":"invalid_json"}})", nullptr);
    }
    const auto& body = parsed.as_object();
    MockBehaviour b = behaviour_for(req, &body);
    const auto done = co_await fail_first(s, lowest, b, keep_alive, [](unsigned status) -> std::string {
          const std::string type = status == 429 ? "rate_limit_error" : status >= 500 ? "server_error" : "invalid_request_error";
          return R"({"error":{"message":"mock error with status )" + std::to_string(status) + R"(","type":")" + type +
                 R"(","param":null,"code":")" + type + "\"}}";
        });
    if (done == kClose) co_return false;
    if (done == kKeep) co_return true;
    if (b.fault == Fault::content_filter) {
      co_return co_await respond(400, R"({"error":{"message":"The response was filtered due to the prompt triggering Azure OpenAI's content management policy.","type":null,"param":"prompt","code":"content_filter","status":400,"innererror":{"code":"ResponsibleAIPolicyViolation","content_filter_result":{"hate":{"filtered":false,"severity":"safe"},"self_harm":{"filtered":true,"severity":"medium"}}}}})", nullptr);
    }
    std::string model = "mock-model";
    if (const auto* m = body.if_contains("model"); m && m->is_string()) model = std::string(m->as_string());
    if (!deployment.empty()) model = deployment;  // Azure: the deployment in the path is the model
    int prompt_tokens = 0;
    count_prompt_tokens(body, prompt_tokens);
    const std::string id = "chatcmpl-mock-" + std::to_string(++next_id);
    const auto* stream = body.if_contains("stream");
    if (stream && stream->is_bool() && stream->as_bool()) {
      bool include_usage = false;
      if (const auto* so = body.if_contains("stream_options"); so && so->is_object()) {
        if (const auto* iu = so->as_object().if_contains("include_usage"); iu && iu->is_bool()) include_usage = iu->as_bool();
      }
      co_return co_await stream_answer(s, lowest, b, id, model, include_usage, prompt_tokens, keep_alive);
    }
    if (b.fault == Fault::stall_after || b.fault == Fault::reset_after || b.fault == Fault::error_after) {
      reset(lowest);  // a non-streamed answer cut short
      co_return false;
    }
    const Millis total = b.ttft + (b.tokens_per_second > 0 ? Millis(static_cast<long>(1000.0 * b.tokens / b.tokens_per_second)) : Millis(0));
    if (!co_await pause(lowest, total)) {
      stats.peer_closed_mid_response++;
      co_return false;
    }
    co_return co_await respond(200, completion_json(id, model, b.tokens, prompt_tokens), &b);
  }

  // A Responses request's first function tool's name ("" none): the mock calls it.
  static std::string first_function_tool(const boost::json::object& body) {
    if (const auto* tools = body.if_contains("tools"); tools && tools->is_array()) {
      for (const auto& t : tools->as_array()) {
        if (t.is_object() && t.as_object().contains("name") && t.as_object().at("type") == "function") return std::string(t.as_object().at("name").as_string());
      }
    }
    return {};
  }
  // A Responses request's prompt, in mock tokens: a string's length / 5, or three an input item.
  static int responses_prompt_tokens(const boost::json::object& body) {
    const auto* in = body.if_contains("input");
    if (in && in->is_string()) return 1 + static_cast<int>(in->as_string().size() / 5);
    if (in && in->is_array()) return 3 * static_cast<int>(in->as_array().size());
    return 0;
  }

  // POST /v1/responses in OpenAI's Responses shape: a message of `tokens`
  // words (and a function_call for the first function tool), whole or as
  // the semantic events; faults as for chat.
  template <class Stream>
  asio::awaitable<bool> responses_answer(Stream& s, beast::tcp_stream& lowest, const http::request<http::string_body>& req, bool keep_alive) {
    ErrorBody error_body = [](unsigned status) -> std::string {
      const std::string type = status == 429 ? "rate_limit_error" : status >= 500 ? "server_error" : "invalid_request_error";
      return R"({"error":{"message":"mock error with status )" + std::to_string(status) + R"(","type":")" + type + R"(","param":null,"code":")" + type + "\"}}";
    };
    boost::system::error_code jec;
    auto parsed = boost::json::parse(req.body(), jec);
    if (jec || !parsed.is_object() || !parsed.as_object().contains("input")) co_return co_await respond_json(s, lowest, 400, error_body(400), nullptr, keep_alive);
    const auto& body = parsed.as_object();
    MockBehaviour b = behaviour_for(req, &body);
    const auto done = co_await fail_first(s, lowest, b, keep_alive, error_body);
    if (done != kAnswer) co_return done == kKeep;
    const std::string model = body.contains("model") && body.at("model").is_string() ? std::string(body.at("model").as_string()) : "mock-model";
    const std::string tool = first_function_tool(body);
    const int prompt_tokens = responses_prompt_tokens(body);
    const std::string n = std::to_string(++next_id);
    const std::string id = "resp_mock_" + n, msg_id = "msg_mock_" + n, fc_id = "fc_mock_" + n;
    std::string text;
    for (int i = 0; i < b.tokens; ++i) {
      if (i) text += ' ';
      text += kWords[i % std::size(kWords)];
    }
    auto q = [](std::string_view v) { return boost::json::serialize(boost::json::value(boost::json::string(v))); };
    const std::string message_item = R"({"id":")" + msg_id + R"(","type":"message","status":"completed","role":"assistant","content":[{"type":"output_text","annotations":[],"text":)" + q(text) + "}]}";
    const std::string call_item = R"({"id":")" + fc_id + R"(","type":"function_call","status":"completed","arguments":"{\"city\":\"Paris\"}","call_id":"call_mock_)" + n + R"(","name":)" + q(tool) + "}";
    const std::string usage = R"({"input_tokens":)" + std::to_string(prompt_tokens) + R"(,"input_tokens_details":{"cached_tokens":0},"output_tokens":)" +
                              std::to_string(b.tokens) + R"(,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":)" + std::to_string(prompt_tokens + b.tokens) + "}";
    auto response = [&](std::string_view status, bool with_output) {
      return R"({"id":")" + id + R"(","object":"response","created_at":1700000000,"status":")" + std::string(status) + R"(","error":null,"incomplete_details":null,"model":)" + q(model) +
             R"(,"output":[)" + (with_output ? message_item + (tool.empty() ? "" : "," + call_item) : "") + R"(],"usage":)" + (with_output ? usage : "null") + "}";
    };
    const auto* stream = body.if_contains("stream");
    if (!(stream && stream->is_bool() && stream->as_bool())) {
      if (!co_await pause(lowest, b.ttft)) co_return false;
      co_return co_await respond_json(s, lowest, 200, response("completed", true), &b, keep_alive);
    }
    const Corked corked(lowest, b.burst);
    if (!co_await open_event_stream(s, lowest, keep_alive)) co_return false;
    int seq = 0;
    auto event = [&](std::string_view type, std::string fields) -> asio::awaitable<bool> {
      const std::string frame = "event: " + std::string(type) + "\ndata: {\"type\":\"" + std::string(type) + "\",\"sequence_number\":" + std::to_string(seq++) +
                                (fields.empty() ? "" : "," + fields) + "}\n\n";
      lowest.expires_after(std::chrono::seconds(30));
      auto [ec, written] = co_await asio::async_write(s, http::make_chunk(asio::buffer(frame)), use_nothrow);
      co_return !ec;
    };
    if (!co_await pause(lowest, b.ttft)) co_return stats.peer_closed_mid_response++, false;
    if (!co_await event("response.created", R"("response":)" + response("in_progress", false))) co_return false;
    co_await event("response.in_progress", R"("response":)" + response("in_progress", false));
    co_await event("response.output_item.added", R"("output_index":0,"item":{"id":")" + msg_id + R"(","type":"message","status":"in_progress","role":"assistant","content":[]})");
    co_await event("response.content_part.added", R"("item_id":")" + msg_id + R"(","output_index":0,"content_index":0,"part":{"type":"output_text","annotations":[],"text":""})");
    if (!co_await stream_words(s, lowest, b, [&](int i) {
          std::string word = i ? " " : "";
          word += kWords[i % std::size(kWords)];
          return event("response.output_text.delta", R"("item_id":")" + msg_id + R"(","output_index":0,"content_index":0,"delta":)" + q(word));
        }, [&] {
          return event("error", R"("code":"server_error","message":"mock failure in the middle of the stream","param":null)");
        })) {
      co_return false;
    }
    co_await event("response.output_text.done", R"("item_id":")" + msg_id + R"(","output_index":0,"content_index":0,"text":)" + q(text));
    co_await event("response.content_part.done", R"("item_id":")" + msg_id + R"(","output_index":0,"content_index":0,"part":{"type":"output_text","annotations":[],"text":)" + q(text) + "}");
    co_await event("response.output_item.done", R"("output_index":0,"item":)" + message_item);
    if (!tool.empty()) {
      co_await event("response.output_item.added", R"("output_index":1,"item":{"id":")" + fc_id + R"(","type":"function_call","status":"in_progress","arguments":"","call_id":"call_mock_)" + n + R"(","name":)" + q(tool) + "}");
      co_await event("response.function_call_arguments.delta", R"("item_id":")" + fc_id + R"(","output_index":1,"delta":"{\"city\":\"Paris\"}")");
      co_await event("response.function_call_arguments.done", R"("item_id":")" + fc_id + R"(","output_index":1,"arguments":"{\"city\":\"Paris\"}")");
      co_await event("response.output_item.done", R"("output_index":1,"item":)" + call_item);
    }
    if (!co_await event("response.completed", R"("response":)" + response("completed", true))) co_return false;
    auto [ec, written] = co_await asio::async_write(s, http::make_chunk_last(), use_nothrow);
    co_return !ec && keep_alive;
  }

  // POST /v1/embeddings in OpenAI's shape: one mock_embedding per input
  // (`dimensions` long, default 8), base64 when asked (unless float_only).
  template <class Stream>
  asio::awaitable<bool> openai_embeddings(Stream& s, beast::tcp_stream& lowest, const http::request<http::string_body>& req, bool keep_alive) {
    ErrorBody error_body = [](unsigned status) -> std::string {
      return R"({"error":{"message":"mock error with status )" + std::to_string(status) +
             R"(","type":"invalid_request_error","param":null,"code":null}})";
    };
    boost::system::error_code jec;
    auto parsed = boost::json::parse(req.body(), jec);
    if (jec || !parsed.is_object()) co_return co_await respond_json(s, lowest, 400, error_body(400), nullptr, keep_alive);
    const auto& body = parsed.as_object();
    MockBehaviour b = behaviour_for(req, &body);
    const auto done = co_await fail_first(s, lowest, b, keep_alive, error_body);
    if (done != kAnswer) co_return done == kKeep;
    std::vector<std::string> texts;
    const auto* input = body.if_contains("input");
    auto text_of = [](const boost::json::value& v) { return v.is_string() ? std::string(v.as_string()) : boost::json::serialize(v); };
    if (input && input->is_array() && !input->as_array().empty() && !input->as_array()[0].is_number()) {
      for (const auto& item : input->as_array()) texts.push_back(text_of(item));
    } else if (input) {
      texts.push_back(text_of(*input));
    }
    if (texts.empty()) co_return co_await respond_json(s, lowest, 400, error_body(400), nullptr, keep_alive);
    int dims = 8;
    if (const auto* d = body.if_contains("dimensions"); d && d->is_int64() && d->as_int64() > 0 && d->as_int64() <= 4096) dims = static_cast<int>(d->as_int64());
    const auto* f = body.if_contains("encoding_format");
    const bool base64 = !b.float_only && f && f->is_string() && f->as_string() == "base64";
    std::string model = "mock-embedding";
    if (const auto* m = body.if_contains("model"); m && m->is_string()) model = std::string(m->as_string());
    std::string out = R"({"object":"list","data":[)";
    int tokens = 0;
    for (std::size_t i = 0; i < texts.size(); ++i) {
      if (i) out += ',';
      out += R"({"object":"embedding","index":)" + std::to_string(i) + R"(,"embedding":)" + embedding_json(mock_embedding(texts[i], dims), base64) + "}";
      tokens += static_cast<int>(std::max<std::size_t>(1, (texts[i].size() + 3) / 4));
    }
    out += R"(],"model":)" + boost::json::serialize(boost::json::value(model)) + R"(,"usage":{"prompt_tokens":)" + std::to_string(tokens) +
           R"(,"total_tokens":)" + std::to_string(tokens) + "}}";
    co_return co_await respond_json(s, lowest, 200, std::move(out), &b, keep_alive);
  }

  // Gemini's :batchEmbedContents ({"requests":[...]}, each naming the URL's
  // model) and :embedContent; outputDimensionality (default 8).
  template <class Stream>
  asio::awaitable<bool> gemini_embeddings(Stream& s, beast::tcp_stream& lowest, const http::request<http::string_body>& req,
                                          std::string_view model, bool batch, bool keep_alive) {
    ErrorBody error_body = [](unsigned status) -> std::string {
      return R"({"error":{"code":)" + std::to_string(status) + R"(,"message":"mock error with status )" + std::to_string(status) +
             R"(","status":")" + (status == 429 ? "RESOURCE_EXHAUSTED" : status >= 500 ? "INTERNAL" : "INVALID_ARGUMENT") + "\"}}";
    };
    boost::system::error_code jec;
    auto parsed = boost::json::parse(req.body(), jec);
    if (jec || !parsed.is_object()) co_return co_await respond_json(s, lowest, 400, error_body(400), nullptr, keep_alive);
    const auto& body = parsed.as_object();
    MockBehaviour b = behaviour_for(req, &body);
    const auto done = co_await fail_first(s, lowest, b, keep_alive, error_body);
    if (done != kAnswer) co_return done == kKeep;
    auto values_of = [&](const boost::json::object& r) -> std::optional<std::string> {
      const auto* content = r.if_contains("content");
      const auto* parts = content && content->is_object() ? content->as_object().if_contains("parts") : nullptr;
      if (!parts || !parts->is_array()) return std::nullopt;
      std::string text;
      for (const auto& p : parts->as_array()) {
        if (const auto* t = p.is_object() ? p.as_object().if_contains("text") : nullptr; t && t->is_string()) text += t->as_string();
      }
      int dims = 8;
      if (const auto* d = r.if_contains("outputDimensionality"); d && d->is_int64() && d->as_int64() > 0 && d->as_int64() <= 4096) dims = static_cast<int>(d->as_int64());
      return R"({"values":)" + embedding_json(mock_embedding(text, dims), false) + "}";
    };
    std::string out;
    if (batch) {
      const auto* requests = body.if_contains("requests");
      if (!requests || !requests->is_array()) co_return co_await respond_json(s, lowest, 400, error_body(400), nullptr, keep_alive);
      out = R"({"embeddings":[)";
      bool first = true;
      for (const auto& r : requests->as_array()) {
        const auto* m = r.is_object() ? r.as_object().if_contains("model") : nullptr;
        // Gemini insists that each request names the URL's model.
        if (!m || !m->is_string() || m->as_string() != "models/" + std::string(model)) {
          co_return co_await respond_json(s, lowest, 400, error_body(400), nullptr, keep_alive);
        }
        auto v = values_of(r.as_object());
        if (!v) co_return co_await respond_json(s, lowest, 400, error_body(400), nullptr, keep_alive);
        if (!first) out += ',';
        first = false;
        out += *v;
      }
      out += "]}";
    } else {
      auto v = values_of(body);
      if (!v) co_return co_await respond_json(s, lowest, 400, error_body(400), nullptr, keep_alive);
      out = R"({"embedding":)" + *v + "}";
    }
    co_return co_await respond_json(s, lowest, 200, std::move(out), &b, keep_alive);
  }

  // The path without its query; Azure OpenAI's prefixes mapped to OpenAI's paths
  // (/openai/deployments/{deployment}/... and /openai/v1/...), `deployment` set.
  static std::string_view openai_path(std::string_view target, std::string& deployment) {
    std::string_view path = target.substr(0, target.find('?'));
    if (path.starts_with("/openai/deployments/")) {
      path.remove_prefix(20);
      deployment = std::string(path.substr(0, path.find('/')));
      path.remove_prefix(std::min(path.size(), deployment.size()));
    } else if (path.starts_with("/openai/v1/")) {
      path.remove_prefix(10);
    } else if (path == "/openai/models") {
      path = "/models";
    } else if (path == "/openai/responses") {  // not deployment-scoped
      path = "/responses";
    }
    return path;
  }

  // GET .../models: the providers' health probe, which sees the same faults. Returns false to close.
  template <class Stream>
  asio::awaitable<bool> probe_answer(Stream& s, beast::tcp_stream& lowest, const http::request<http::string_body>& req, bool keep_alive) {
    const MockBehaviour b = behaviour_for(req, nullptr);
    if (b.fault == Fault::reset || b.fault == Fault::hang) {
      reset(lowest);
      co_return false;
    }
    if (b.status != 200) {
      co_return co_await respond_json(s, lowest, b.status, R"({"error":{"message":"mock probe failure","type":"server_error","param":null,"code":"server_error"}})", &b, keep_alive);
    }
    co_return co_await respond_json(s, lowest, 200, R"({"object":"list","data":[{"id":"mock-model","object":"model","created":0,"owned_by":"mock"}]})", nullptr, keep_alive);
  }

  // POST /v1/messages/count_tokens, as Anthropic: max_tokens is not a field here. Returns false to close.
  template <class Stream>
  asio::awaitable<bool> count_tokens_answer(Stream& s, beast::tcp_stream& lowest, const http::request<http::string_body>& req, bool keep_alive) {
    boost::system::error_code jec;
    auto parsed = boost::json::parse(req.body(), jec);
    if (jec || !parsed.is_object() || parsed.as_object().contains("max_tokens")) {
      co_return co_await respond_json(s, lowest, 400, R"({"type":"error","error":{"type":"invalid_request_error","message":"mock: a JSON object without max_tokens, please"}})", nullptr, keep_alive);
    }
    int tokens = 0;
    count_prompt_tokens(parsed.as_object(), tokens);
    co_return co_await respond_json(s, lowest, 200, R"({"input_tokens":)" + std::to_string(tokens) + "}", nullptr, keep_alive);
  }

  // AWS's error shape: the code in x-amzn-ErrorType, {"message"} in the body.
  template <class Stream>
  static asio::awaitable<bool> aws_error(Stream& s, beast::tcp_stream& lowest, unsigned status, std::string_view code,
                                         std::string_view message, bool keep_alive) {
    http::response<http::string_body> res{static_cast<http::status>(status), 11};
    res.set(http::field::content_type, "application/json");
    res.set("x-amzn-ErrorType", std::string(code) + ":http://internal.amazon.com/coral/com.amazon.bedrock/");
    res.set("x-amzn-RequestId", "mock-request-id");
    res.body() = boost::json::serialize(boost::json::object{{"message", message}});
    res.keep_alive(keep_alive);
    res.prepare_payload();
    lowest.expires_after(std::chrono::seconds(30));
    auto [ec, n] = co_await http::async_write(s, res, use_nothrow);
    co_return !ec && keep_alive;
  }

  // POST /model/{modelId}/{converse|converse-stream|invoke|invoke-with-response-stream}:
  // Bedrock Runtime. With options.aws_secret_access_key set, every request must
  // carry a SigV4 signature made with it (else 403, as AWS answers).
  template <class Stream>
  asio::awaitable<bool> bedrock_route(Stream& s, beast::tcp_stream& lowest, const http::request<http::string_body>& req,
                                      std::string_view path, bool keep_alive) {
    std::string_view rest = path.substr(7);
    const auto slash = rest.rfind('/');
    if (req.method() != http::verb::post || slash == std::string_view::npos) {
      co_return co_await aws_error(s, lowest, 404, "UnknownOperationException", "mock: no such Bedrock operation", keep_alive);
    }
    std::string model;  // the model id, percent-decoded
    for (std::size_t i = 0; i < slash; ++i) {
      if (rest[i] == '%' && i + 2 < slash) {
        model += static_cast<char>(std::stoi(std::string(rest.substr(i + 1, 2)), nullptr, 16));
        i += 2;
      } else {
        model += rest[i];
      }
    }
    const std::string_view op = rest.substr(slash + 1);
    const auto auth = req.find(http::field::authorization);
    const bool bearer = auth != req.end() && auth->value().starts_with("Bearer ");
    if (!options.aws_secret_access_key.empty() && !bearer) {
      SignedRequest signed_request{req.method_string(), req.target(), req.body(), [&](std::string_view name) -> std::optional<std::string> {
                                     auto it = req.find(name);
                                     if (it == req.end()) return std::nullopt;
                                     return std::string(it->value());
                                   }};
      const std::string why = check_sigv4(signed_request, options.aws_secret_access_key, "bedrock", static_cast<std::int64_t>(std::time(nullptr)));
      if (!why.empty()) co_return co_await aws_error(s, lowest, 403, "InvalidSignatureException", "mock: " + why, keep_alive);
    }
    if (op == "converse" || op == "converse-stream") co_return co_await converse_answer(s, lowest, req, op == "converse-stream", keep_alive);
    if (op != "invoke" && op != "invoke-with-response-stream") {
      co_return co_await aws_error(s, lowest, 404, "UnknownOperationException", "mock: no such Bedrock operation", keep_alive);
    }
    boost::system::error_code jec;
    auto parsed = boost::json::parse(req.body(), jec);
    if (jec || !parsed.is_object()) co_return co_await aws_error(s, lowest, 400, "ValidationException", "mock: the body is not a JSON object", keep_alive);
    const auto& body = parsed.as_object();
    if (model.find("anthropic.") != std::string::npos) {
      // What Bedrock refuses in an Anthropic body: a model or stream field, a missing or wrong anthropic_version.
      const auto* version = body.if_contains("anthropic_version");
      if (body.contains("model") || body.contains("stream") || !version || *version != "bedrock-2023-05-31") {
        co_return co_await aws_error(s, lowest, 400, "ValidationException",
                                     "mock: an InvokeModel body for Anthropic has anthropic_version bedrock-2023-05-31 and no model or stream", keep_alive);
      }
      if (const auto* betas = body.if_contains("anthropic_beta")) stats.last_anthropic_beta = boost::json::serialize(*betas);
      const BedrockInvoke call{model, op == "invoke-with-response-stream"};
      co_return co_await anthropic_answer(s, lowest, req, keep_alive, &call);
    }
    if (op != "invoke") co_return co_await aws_error(s, lowest, 400, "ValidationException", "mock: streams are for Anthropic models", keep_alive);
    // Embeddings: Titan ({"inputText"} → {"embedding","inputTextTokenCount"}) and Cohere ({"texts"} → {"embeddings"}).
    auto vector = [](std::string_view text, int dims) {
      boost::json::array a;
      for (double x : mock_embedding(text, dims)) a.push_back(x);
      return a;
    };
    if (model.find("cohere.embed") != std::string::npos) {
      const auto* texts = body.if_contains("texts");
      if (!texts || !texts->is_array()) co_return co_await aws_error(s, lowest, 400, "ValidationException", "mock: texts is required", keep_alive);
      boost::json::array out;
      for (const auto& t : texts->as_array()) out.push_back(vector(t.is_string() ? std::string_view(t.as_string()) : "", 1024));
      boost::json::object answer{{"embeddings", std::move(out)}, {"id", "mock"}, {"response_type", "embeddings_floats"}};
      std::string text_answer = boost::json::serialize(answer);  // named: no braced lists inside co_await (GCC 12)
      co_return co_await respond_json(s, lowest, 200, std::move(text_answer), nullptr, keep_alive);
    }
    const auto* text = body.if_contains("inputText");
    if (!text || !text->is_string()) co_return co_await aws_error(s, lowest, 400, "ValidationException", "mock: inputText is required", keep_alive);
    int dims = 1024;
    if (const auto* d = body.if_contains("dimensions"); d && d->is_int64()) dims = static_cast<int>(std::clamp<std::int64_t>(d->as_int64(), 1, 8192));
    boost::json::object out{{"embedding", vector(text->as_string(), dims)}, {"inputTextTokenCount", static_cast<std::int64_t>(text->as_string().size() / 4 + 1)}};
    co_return co_await respond_json(s, lowest, 200, boost::json::serialize(out), nullptr, keep_alive);
  }

  // Converse / ConverseStream: the same behaviours in Bedrock's shapes; with
  // a toolConfig the answer calls the first tool; fault error-after:N sends a
  // throttlingException frame after N words. Returns false to close.
  template <class Stream>
  asio::awaitable<bool> converse_answer(Stream& s, beast::tcp_stream& lowest, const http::request<http::string_body>& req,
                                        bool stream, bool keep_alive) {
    boost::system::error_code jec;
    auto parsed = boost::json::parse(req.body(), jec);
    if (jec || !parsed.is_object() || !parsed.as_object().contains("messages") || parsed.as_object().contains("model")) {
      co_return co_await aws_error(s, lowest, 400, "ValidationException", "mock: a Converse body has messages and no model", keep_alive);
    }
    const auto& body = parsed.as_object();
    MockBehaviour b = behaviour_for(req, &body);
    if (b.fail_rate > 0 && std::uniform_real_distribution<double>(0, 1)(rng) < b.fail_rate) b.status = b.fail_status;
    if (b.fault == Fault::reset) {
      reset(lowest);
      co_return false;
    }
    if (b.status != 200) {
      if (!co_await pause(lowest, b.ttft)) co_return false;
      co_return co_await aws_error(s, lowest, b.status, aws_error_code(b.status), "mock error with status " + std::to_string(b.status), keep_alive);
    }
    const int prompt_tokens = converse_prompt_tokens(body);
    const std::string tool = converse_first_tool(body);
    const std::string usage = R"({"inputTokens":)" + std::to_string(prompt_tokens) + R"(,"outputTokens":)" + std::to_string(b.tokens) +
                              R"(,"totalTokens":)" + std::to_string(prompt_tokens + b.tokens) + "}";
    const std::string_view stop = tool.empty() ? "end_turn" : "tool_use";
    if (!stream) {
      if (!co_await pause(lowest, b.ttft)) co_return false;
      std::string text;
      for (int i = 0; i < b.tokens; ++i) {
        if (i) text += ' ';
        text += kWords[i % std::size(kWords)];
      }
      boost::json::array content{boost::json::object{{"text", text}}};
      if (!tool.empty()) {
        content.push_back(boost::json::object{{"toolUse", boost::json::object{{"toolUseId", "tooluse_mock_1"}, {"name", tool}, {"input", boost::json::object{{"city", "Paris"}}}}}});
      }
      std::string answer = boost::json::serialize(boost::json::object{
          {"output", boost::json::object{{"message", boost::json::object{{"role", "assistant"}, {"content", std::move(content)}}}}},
          {"stopReason", stop}, {"metrics", boost::json::object{{"latencyMs", 1}}}});
      answer.insert(answer.size() - 1, R"(,"usage":)" + usage);
      co_return co_await respond_json(s, lowest, 200, std::move(answer), nullptr, keep_alive);
    }
    const Corked corked(lowest, b.burst);
    if (!co_await open_event_stream(s, lowest, keep_alive, "application/vnd.amazon.eventstream")) co_return false;
    auto send = [&](std::string frame) -> asio::awaitable<bool> {
      lowest.expires_after(std::chrono::seconds(30));
      auto [ec, n] = co_await asio::async_write(s, http::make_chunk(asio::buffer(frame)), use_nothrow);
      if (!ec) stats.stream_bytes_sent += frame.size();
      co_return !ec;
    };
    if (!co_await pause(lowest, b.ttft)) co_return stats.peer_closed_mid_response++, false;
    if (b.fault == Fault::error_after && b.fault_after == 0) {  // throttled before the first event
      co_await send(exception_frame("throttlingException", "Too many requests, please wait before trying again."));
      co_await asio::async_write(s, http::make_chunk_last(), use_nothrow);
      co_return false;
    }
    if (!co_await send(event_frame("messageStart", R"({"role":"assistant"})"))) co_return false;
    if (!co_await stream_words(s, lowest, b, [&](int i) {
          std::string word = i ? " " : "";
          word += kWords[i % std::size(kWords)];
          return send(event_frame("contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"text":)" + boost::json::serialize(boost::json::value(word)) + R"(},"p":"abcdefg"})"));
        }, [&] {
          return send(exception_frame("throttlingException", "Too many requests, please wait before trying again."));
        })) {
      co_return false;
    }
    co_await send(event_frame("contentBlockStop", R"({"contentBlockIndex":0})"));
    if (!tool.empty()) {
      co_await send(event_frame("contentBlockStart", R"({"contentBlockIndex":1,"start":{"toolUse":{"toolUseId":"tooluse_mock_1","name":)" + boost::json::serialize(boost::json::value(tool)) + "}}}"));
      co_await send(event_frame("contentBlockDelta", R"({"contentBlockIndex":1,"delta":{"toolUse":{"input":"{\"city\": \"Pa"}}})"));
      co_await send(event_frame("contentBlockDelta", R"({"contentBlockIndex":1,"delta":{"toolUse":{"input":"ris\"}"}}})"));
      co_await send(event_frame("contentBlockStop", R"({"contentBlockIndex":1})"));
    }
    co_await send(event_frame("messageStop", R"({"stopReason":")" + std::string(stop) + "\"}"));
    if (!co_await send(event_frame("metadata", R"({"usage":)" + usage + R"(,"metrics":{"latencyMs":1}})"))) co_return false;
    auto [ec, n] = co_await asio::async_write(s, http::make_chunk_last(), use_nothrow);
    co_return !ec && keep_alive;
  }

  // POST /token: Google's OAuth token endpoint for service accounts. With
  // google_public_key_pem set, the JWT assertion must be signed by its key
  // (RS256) and name the cloud-platform scope; the answer is a fresh token.
  template <class Stream>
  asio::awaitable<bool> token_answer(Stream& s, beast::tcp_stream& lowest, const http::request<http::string_body>& req, bool keep_alive) {
    ++stats.token_requests;
    const std::string_view body = req.body();
    const std::string_view grant = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=";
    std::string error;
    if (!body.starts_with(grant)) error = "unsupported_grant_type";
    const std::string_view jwt = body.substr(std::min(body.size(), grant.size()));
    if (error.empty() && !options.google_public_key_pem.empty() && !providers::verify_rs256_jwt(jwt, options.google_public_key_pem)) error = "invalid_grant";
    if (error.empty() && options.defaults.fault == Fault::reset) {
      reset(lowest);
      co_return false;
    }
    if (!error.empty() || options.token_status != 200) {
      const unsigned status = error.empty() ? options.token_status : 400u;
      boost::json::object e{{"error", error.empty() ? "server_error" : error}, {"error_description", "mock: the assertion was refused"}};
      std::string text = boost::json::serialize(e);
      co_return co_await respond_json(s, lowest, status, std::move(text), nullptr, keep_alive);
    }
    if (!co_await pause(lowest, options.token_delay)) co_return false;
    const std::string token = "ya29.mock-" + std::to_string(++next_id);
    issued_tokens.insert(token);
    boost::json::object answer{{"access_token", token}, {"expires_in", 3599}, {"token_type", "Bearer"}};
    std::string text = boost::json::serialize(answer);
    co_return co_await respond_json(s, lowest, 200, std::move(text), nullptr, keep_alive);
  }

  // Vertex AI: .../publishers/{google|anthropic}/models/{model}:{method}.
  // With google_public_key_pem set, the bearer token must be one /token issued
  // (else 401 UNAUTHENTICATED). Google models answer as Gemini (and :predict
  // with embeddings); Anthropic models take Anthropic's body with
  // anthropic_version "vertex-2023-10-16" and no model. nullopt: not Vertex.
  template <class Stream>
  asio::awaitable<std::optional<bool>> vertex_route(Stream& s, beast::tcp_stream& lowest, const http::request<http::string_body>& req,
                                                    std::string_view path, bool keep_alive) {
    const auto at = path.find("/publishers/");
    std::string_view rest = path.substr(at + 12);
    const std::string_view publisher = rest.substr(0, rest.find('/'));
    const auto models = rest.find("/models/");
    if (models == std::string_view::npos) co_return std::nullopt;
    rest.remove_prefix(models + 8);
    const auto colon = rest.find(':');
    if (colon == std::string_view::npos) co_return std::nullopt;
    const std::string model(rest.substr(0, colon));
    const std::string_view method = rest.substr(colon + 1);
    if (!options.google_public_key_pem.empty()) {
      auto auth = req.find(http::field::authorization);
      const std::string token = auth == req.end() || !auth->value().starts_with("Bearer ") ? "" : std::string(auth->value().substr(7));
      if (!issued_tokens.count(token)) {
        co_return co_await respond_json(s, lowest, 401, R"({"error":{"code":401,"message":"mock: Request had invalid authentication credentials.","status":"UNAUTHENTICATED"}})", nullptr, keep_alive);
      }
    }
    if (publisher == "anthropic") {
      boost::system::error_code jec;
      auto parsed = boost::json::parse(req.body(), jec);
      const auto* version = !jec && parsed.is_object() ? parsed.as_object().if_contains("anthropic_version") : nullptr;
      if (!version || *version != "vertex-2023-10-16" || parsed.as_object().contains("model")) {
        co_return co_await respond_json(s, lowest, 400, R"({"error":{"code":400,"message":"mock: anthropic_version vertex-2023-10-16 and no model, please","status":"INVALID_ARGUMENT"}})", nullptr, keep_alive);
      }
      const BedrockInvoke call{model, method == "streamRawPredict", false};
      co_return co_await anthropic_answer(s, lowest, req, keep_alive, &call);
    }
    if (method == "predict") {
      boost::system::error_code jec;
      auto parsed = boost::json::parse(req.body(), jec);
      const auto* instances = !jec && parsed.is_object() ? parsed.as_object().if_contains("instances") : nullptr;
      if (!instances || !instances->is_array()) {
        co_return co_await respond_json(s, lowest, 400, R"({"error":{"code":400,"message":"mock: instances, please","status":"INVALID_ARGUMENT"}})", nullptr, keep_alive);
      }
      int dims = 768;
      if (const auto* p = parsed.as_object().if_contains("parameters"); p && p->is_object()) {
        if (const auto* d = p->as_object().if_contains("outputDimensionality"); d && d->is_int64()) dims = static_cast<int>(d->as_int64());
      }
      boost::json::array predictions;
      for (const auto& i : instances->as_array()) {
        const auto* c = i.is_object() ? i.as_object().if_contains("content") : nullptr;
        const std::string_view text = c && c->is_string() ? std::string_view(c->as_string()) : "";
        boost::json::array values;
        for (double x : mock_embedding(text, dims)) values.push_back(x);
        predictions.push_back(boost::json::object{{"embeddings", boost::json::object{{"values", std::move(values)},
            {"statistics", boost::json::object{{"token_count", static_cast<std::int64_t>(text.size() / 4 + 1)}, {"truncated", false}}}}}});
      }
      boost::json::object answer{{"predictions", std::move(predictions)}};
      std::string text = boost::json::serialize(answer);
      co_return co_await respond_json(s, lowest, 200, std::move(text), nullptr, keep_alive);
    }
    co_return co_await gemini_route(s, lowest, req, path, keep_alive);
  }

  // Gemini's POST .../models/{model}:{method}; nullopt: not such a path.
  template <class Stream>
  asio::awaitable<std::optional<bool>> gemini_route(Stream& s, beast::tcp_stream& lowest, const http::request<http::string_body>& req,
                                                    std::string_view path, bool keep_alive) {
    const auto models = path.find("/models/");
    if (req.method() != http::verb::post || models == std::string_view::npos || path.find(':', models) == std::string_view::npos) co_return std::nullopt;
    const std::string_view rest = path.substr(models + 8);
    const std::string_view model = rest.substr(0, rest.find(':'));
    const std::string_view method = rest.substr(rest.find(':') + 1);
    if (method == "generateContent" || method == "streamGenerateContent") {
      co_return co_await gemini_answer(s, lowest, req, model, method == "streamGenerateContent", keep_alive);
    }
    if (method == "batchEmbedContents" || method == "embedContent") {
      co_return co_await gemini_embeddings(s, lowest, req, model, method == "batchEmbedContents", keep_alive);
    }
    co_return std::nullopt;
  }

  // One request, answered by the API its path names. Returns false to close the connection.
  template <class Stream>
  asio::awaitable<bool> dispatch(Stream& s, beast::tcp_stream& lowest, const http::request<http::string_body>& req, bool keep_alive) {
    std::string deployment;
    const std::string_view path = openai_path(req.target(), deployment);
    const bool post = req.method() == http::verb::post;
    if (req.method() == http::verb::get && path.ends_with("/models")) co_return co_await probe_answer(s, lowest, req, keep_alive);
    if (path.starts_with("/model/")) co_return co_await bedrock_route(s, lowest, req, path, keep_alive);
    if (post && path == "/token") co_return co_await token_answer(s, lowest, req, keep_alive);
    if (req.method() == http::verb::get && path == "/jwks.json" && !options.jwks.empty()) {
      ++stats.jwks_requests;
      co_return co_await respond_json(s, lowest, 200, options.jwks, nullptr, keep_alive);
    }
    if (path.find("/publishers/") != std::string_view::npos) {
      if (auto vertex = co_await vertex_route(s, lowest, req, path, keep_alive)) co_return *vertex;
    }
    if (auto gemini = co_await gemini_route(s, lowest, req, path, keep_alive)) co_return *gemini;
    if (post && (path == "/v1/responses" || path == "/responses")) co_return co_await responses_answer(s, lowest, req, keep_alive);
    if (post && (path == "/v1/embeddings" || path == "/embeddings")) co_return co_await openai_embeddings(s, lowest, req, keep_alive);
    if (post && (path == "/v1/messages/count_tokens" || path == "/messages/count_tokens")) co_return co_await count_tokens_answer(s, lowest, req, keep_alive);
    if (post && path == "/v1/traces") {  // an OTLP/HTTP collector that takes everything (the tracing bench's)
      ++stats.otlp_exports;
      co_return co_await respond_json(s, lowest, 200, "{}", nullptr, keep_alive);
    }
    if (req.method() == http::verb::get && path == "/_mock/last") {  // for tests that run the mock as a process
      boost::json::object last{{"path", stats.last_path}, {"body", stats.last_body}, {"anthropic_beta", stats.last_anthropic_beta},
                               {"requests", stats.requests}};
      co_return co_await respond_json(s, lowest, 200, boost::json::serialize(last), nullptr, keep_alive);
    }
    if (post && (path == "/v1/messages" || path == "/messages")) co_return co_await anthropic_answer(s, lowest, req, keep_alive);
    if (!post || (path != "/v1/chat/completions" && path != "/chat/completions")) {
      co_return co_await respond_json(s, lowest, 404, R"({"error":{"message":"mock: no such route","type":"invalid_request_error","param":null,"code":"not_found"}})", nullptr, keep_alive);
    }
    if (req.body().find(R"("model":"missing-)") != std::string::npos) {  // a model the provider does not have, as OpenAI says it
      co_return co_await respond_json(s, lowest, 404, R"({"error":{"message":"mock: the model does not exist or you do not have access to it","type":"invalid_request_error","param":null,"code":"model_not_found"}})", nullptr, keep_alive);
    }
    co_return co_await openai_answer(s, lowest, req, keep_alive, deployment);
  }

  template <class Stream>
  asio::awaitable<void> serve(Stream& s, beast::tcp_stream& lowest, bool& idle) {
    beast::flat_buffer buffer;
    for (;;) {
      lowest.expires_after(std::chrono::seconds(120));
      http::request_parser<http::string_body> parser;
      parser.body_limit(64 * 1024 * 1024);
      idle = buffer.size() == 0;
      auto [ec, n] = co_await http::async_read(s, buffer, parser, use_nothrow);
      idle = false;
      if (ec) co_return;
      auto& req = parser.get();
      record(req);
      if (!co_await dispatch(s, lowest, req, req.keep_alive())) co_return;
    }
  }

  asio::awaitable<void> session(tcp::socket socket) {
    ++stats.connections_accepted;
    struct Count {
      MockStats& s;
      ~Count() { ++s.connections_closed; }
    } count{stats};
    beast::tcp_stream lowest(std::move(socket));
    auto entry = open.insert(open.end(), Conn{&lowest});
    struct Unlist {
      std::list<Conn>& l;
      std::list<Conn>::iterator it;
      ~Unlist() { l.erase(it); }
    } unlist{open, entry};
    boost::system::error_code ignored;
    lowest.socket().set_option(tcp::no_delay(true), ignored);
    if (tls) {
      asio::ssl::stream<beast::tcp_stream&> s(lowest, *tls);
      lowest.expires_after(std::chrono::seconds(10));
      auto [ec] = co_await s.async_handshake(asio::ssl::stream_base::server, use_nothrow);
      if (ec) co_return;
      co_await serve(s, lowest, entry->idle);
    } else {
      co_await serve(lowest, lowest, entry->idle);
    }
    lowest.socket().close(ignored);
  }
};

MockProvider::MockProvider(asio::any_io_executor ex, MockOptions options)
    : impl_(std::make_unique<Impl>(std::move(ex), std::move(options))), stats_(impl_->stats) {}

MockProvider::~MockProvider() = default;

std::uint16_t MockProvider::listen() {
  const tcp::endpoint ep(asio::ip::make_address(impl_->options.host), impl_->options.port);
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen(asio::socket_base::max_listen_connections);
  return impl_->acceptor.local_endpoint().port();
}

asio::awaitable<void> MockProvider::run() {
  while (!impl_->stopping) {
    auto [ec, sock] = co_await impl_->acceptor.async_accept(use_nothrow);
    if (ec) {
      if (impl_->stopping || ec == asio::error::operation_aborted) break;
      continue;
    }
    asio::co_spawn(impl_->ex, impl_->session(std::move(sock)), asio::detached);
  }
}

void MockProvider::stop() {
  impl_->stopping = true;
  boost::system::error_code ignored;
  impl_->acceptor.close(ignored);
  for (auto& c : impl_->open) c.stream->socket().close(ignored);
}

void MockProvider::set_behaviour_for(const std::string& authorization, MockBehaviour behaviour) {
  impl_->by_key[authorization] = std::move(behaviour);
}

void MockProvider::set_jwks(std::string jwks) { impl_->options.jwks = std::move(jwks); }

void MockProvider::clear_behaviour_for(const std::string& authorization) { impl_->by_key.erase(authorization); }

void MockProvider::close_idle_connections() {
  boost::system::error_code ignored;
  for (auto& c : impl_->open) {
    if (c.idle) c.stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
  }
}

}  // namespace switchyard::mock
