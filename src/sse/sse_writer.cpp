#include "sse/sse_writer.hpp"

namespace switchyard::sse {
namespace {
constexpr std::string_view kPrefix = "data: ";
constexpr std::string_view kEnd = "\n\n";

void append_data_lines(std::string& out, std::string_view data) {
  std::size_t start = 0;
  for (;;) {
    const auto nl = data.find('\n', start);
    out += kPrefix;
    out.append(data.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start));
    out += '\n';
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  out += '\n';
}
}  // namespace

const std::array<boost::asio::const_buffer, 3>& SseWriter::frame(std::string_view data) {
  if (data.find_first_of("\r\n") == std::string_view::npos) {
    buffers_ = {boost::asio::buffer(kPrefix), boost::asio::buffer(data), boost::asio::buffer(kEnd)};
    return buffers_;
  }
  scratch_.clear();
  append_data_lines(scratch_, data);
  buffers_ = {boost::asio::buffer(scratch_), boost::asio::const_buffer(), boost::asio::const_buffer()};
  return buffers_;
}

const std::array<boost::asio::const_buffer, 3>& SseWriter::frame(std::string_view event, std::string_view data) {
  scratch_.clear();
  scratch_ += "event: ";
  scratch_.append(event);
  scratch_ += '\n';
  append_data_lines(scratch_, data);
  buffers_ = {boost::asio::buffer(scratch_), boost::asio::const_buffer(), boost::asio::const_buffer()};
  return buffers_;
}

}  // namespace switchyard::sse
