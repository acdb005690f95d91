#pragma once
// Relays a stream and, when it breaks after bytes went out, continues the
// answer from another target: the text streamed so far goes back as an
// assistant message, and the continuation's chunks are spliced into the same
// client stream (its role-only opening chunk dropped), so the client sees one
// answer. Without a target left, the break is reported as it was.
#include <switchyard/chat.hpp>

#include <boost/json/object.hpp>

#include <functional>
#include <string>
#include <vector>

namespace switchyard::routing {

class ResumingChunkSource final : public ChunkSource {
 public:
  // Opens a continuation stream on a target not in `exclude` ("provider/model").
  using Continue = std::function<boost::asio::awaitable<result<ChatStream>>(ChatRequest&, const std::vector<std::string>& exclude)>;

  // `targets`: how many targets the route has (no continuation once each was used).
  ResumingChunkSource(Continue resume, std::size_t targets, boost::json::object body, ChatStream first, std::string request_id);

  boost::asio::awaitable<Item> next() override;
  std::optional<Item> poll() override;
  boost::asio::awaitable<void> fill() override;
  // Every leg's tokens: the broken ones were paid for too.
  Usage usage() const noexcept override;
  double cost_usd() const noexcept override { return earlier_cost_ + current_.cost_usd(); }

 private:
  bool passes(Item& r);
  static bool is_role_only(std::string_view chunk);
  void collect(std::string_view chunk);  // keeps the text of every content delta, for the next target

  Continue resume_;
  std::size_t targets_;
  boost::json::object body_;
  ChatStream current_;
  std::string request_id_;
  std::vector<std::string> exclude_;
  std::string streamed_;
  bool skip_role_chunk_ = false;
  std::optional<Error> broken_;  // a break poll() saw, for next() to continue
  Usage earlier_;
  double earlier_cost_ = 0;
};

}  // namespace switchyard::routing
