#include "routing/resuming_chunk_source.hpp"

#include <boost/json.hpp>

namespace switchyard::routing {

ResumingChunkSource::ResumingChunkSource(Continue resume, std::size_t targets, boost::json::object body, ChatStream first,
                                         std::string request_id)
    : resume_(std::move(resume)), targets_(targets), body_(std::move(body)), current_(std::move(first)), request_id_(std::move(request_id)) {
  exclude_.push_back(current_.provider() + '/' + current_.model());
}

std::optional<ChunkSource::Item> ResumingChunkSource::poll() {
  for (;;) {
    if (broken_) return std::nullopt;  // next() tries to continue it
    auto r = current_.poll();
    if (!r) return std::nullopt;
    if (passes(*r)) return r;
  }
}

// A chunk or the end is passed on (false: a role-only chunk of a
// continuation, dropped); a break that another target could continue is held
// for next(), which can wait for that target.
bool ResumingChunkSource::passes(Item& r) {
  if (r) {
    if (*r) {
      if (skip_role_chunk_ && is_role_only(**r)) {
        skip_role_chunk_ = false;
        return false;
      }
      skip_role_chunk_ = false;
      collect(**r);
    }
    return true;
  }
  if (r.error().code == errc::cancelled || exclude_.size() >= targets_) return true;
  broken_ = r.error();
  return false;
}

boost::asio::awaitable<void> ResumingChunkSource::fill() {
  if (broken_) co_return;  // nothing to wait for: next() continues from another target
  co_await current_.fill();
}

boost::asio::awaitable<ChunkSource::Item> ResumingChunkSource::next() {
  for (;;) {
    if (!broken_) {
      auto r = co_await current_.next();
      if (passes(r)) co_return r;
      if (!broken_) continue;
    }
    Item r = *broken_;
    broken_.reset();
    // Continue from another target.
    boost::json::object body = body_;
    auto& messages = body["messages"].as_array();
    messages.push_back(boost::json::object{{"role", "assistant"}, {"content", streamed_}});
    ChatRequest continuation{std::move(body), std::nullopt, request_id_};
    auto resumed = co_await resume_(continuation, exclude_);
    if (!resumed) co_return r;  // nobody to continue: the original break stands
    exclude_.push_back(resumed->provider() + '/' + resumed->model());
    earlier_ += current_.usage();
    earlier_cost_ += current_.cost_usd();
    current_ = std::move(*resumed);
    skip_role_chunk_ = true;
  }
}

Usage ResumingChunkSource::usage() const noexcept {
  Usage u = earlier_;
  u += current_.usage();
  u.reported = current_.usage().reported;
  return u;
}

bool ResumingChunkSource::is_role_only(std::string_view chunk) {
  boost::system::error_code ec;
  auto v = boost::json::parse(chunk, ec);
  if (ec || !v.is_object()) return false;
  const auto* choices = v.as_object().if_contains("choices");
  if (!choices || !choices->is_array() || choices->as_array().empty()) return false;
  const auto& first = choices->as_array()[0];
  const auto* delta = first.is_object() ? first.as_object().if_contains("delta") : nullptr;
  if (!delta || !delta->is_object()) return false;
  const auto* content = delta->as_object().if_contains("content");
  return delta->as_object().contains("role") && (!content || (content->is_string() && content->as_string().empty()));
}

void ResumingChunkSource::collect(std::string_view chunk) {
  boost::system::error_code ec;
  auto v = boost::json::parse(chunk, ec);
  if (ec || !v.is_object()) return;
  const auto* choices = v.as_object().if_contains("choices");
  if (!choices || !choices->is_array()) return;
  for (const auto& c : choices->as_array()) {
    const auto* delta = c.is_object() ? c.as_object().if_contains("delta") : nullptr;
    const auto* content = delta && delta->is_object() ? delta->as_object().if_contains("content") : nullptr;
    if (content && content->is_string()) streamed_ += std::string_view(content->as_string());
  }
}

}  // namespace switchyard::routing
