#pragma once
// Reading OpenAI message content (a string or an array of parts), shared by
// the translators to other providers' shapes.
#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace switchyard::providers {

// The text of a message's content: the string itself, or its text parts joined by newlines.
std::string text_of(const boost::json::value& content);

struct DataUrl {
  std::string_view media_type;  // e.g. "image/png"
  std::string_view data;        // base64
};

// "data:image/png;base64,AAAA" → {image/png, AAAA}; nullopt when `url` is not
// a base64 data URL.
std::optional<DataUrl> parse_data_url(std::string_view url) noexcept;

// The URL of an image_url part ({"image_url":{"url":...}} or {"image_url":"..."}), or nullptr.
const boost::json::value* image_url_of(const boost::json::object& part) noexcept;

}  // namespace switchyard::providers
