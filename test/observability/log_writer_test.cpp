#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <string>

#include "observability/log_writer.hpp"
#include "observability/logger.hpp"

using namespace switchyard::observability;

namespace {
struct Pipe {
  int r = -1, w = -1;
  Pipe() {
    int fds[2];
    BOOST_REQUIRE(::pipe(fds) == 0);
    r = fds[0];
    w = fds[1];
  }
  ~Pipe() {
    if (r >= 0) ::close(r);
    if (w >= 0) ::close(w);
  }
  // Everything that arrives until `until` is in it or 10 s passed (bounded waits).
  std::string read_until(std::string_view until) const {
    std::string got;
    char buf[65536];
    for (int i = 0; i < 1000 && got.find(until) == std::string::npos; ++i) {
      pollfd p{r, POLLIN, 0};
      if (::poll(&p, 1, 10) <= 0) continue;
      const ssize_t n = ::read(r, buf, sizeof buf);
      if (n <= 0) break;
      got.append(buf, static_cast<std::size_t>(n));
    }
    return got;
  }
};
}  // namespace

BOOST_AUTO_TEST_SUITE(log_writer)

BOOST_AUTO_TEST_CASE(lines_arrive_whole_and_in_order_without_waiting_for_a_full_buffer) {
  Pipe p;
  LogWriter w(p.w, 64 * 1024, std::chrono::milliseconds(10));
  for (int i = 0; i < 100; ++i) BOOST_TEST(w.write("line " + std::to_string(i) + "\n"));
  // Far below the ring's size: it leaves at the next flush tick, not when full.
  const std::string got = p.read_until("line 99\n");
  std::string expected;
  for (int i = 0; i < 100; ++i) expected += "line " + std::to_string(i) + "\n";
  BOOST_TEST(got == expected);
  BOOST_TEST(w.dropped() == 0u);
}

BOOST_AUTO_TEST_CASE(a_reader_that_stops_costs_dropped_lines_never_a_blocked_writer) {
  Pipe p;
  std::uint64_t accepted = 0;
  {
    LogWriter w(p.w, 64 * 1024, std::chrono::milliseconds(5));
    const std::string line(200, 'x');
    // 20 MB into a 64 KiB pipe nobody reads and a 64 KiB ring: write() must
    // return every time (this test would hang otherwise) and drop.
    for (int i = 0; i < 100'000; ++i) accepted += w.write(line + "\n");
    BOOST_TEST(w.dropped() > 0u);
    BOOST_TEST(accepted + w.dropped() == 100'000u);
    BOOST_TEST(w.written_bytes() <= 200u * 1024u);  // the pipe's buffer, no more
    // The reader comes back: what the ring held arrives, and new lines after it.
    const std::string drained = p.read_until("x\n");
    BOOST_TEST(!drained.empty());
    BOOST_TEST(w.write("back\n"));
    std::string rest = p.read_until("back\n");
    BOOST_TEST(rest.find("back\n") != std::string::npos);
  }  // stops without hanging
}

BOOST_AUTO_TEST_CASE(stopping_with_a_stuck_reader_is_bounded_and_counts_what_was_lost) {
  Pipe p;
  LogWriter w(p.w, 1024 * 1024, std::chrono::milliseconds(1000));
  const std::string line(1000, 'y');
  for (int i = 0; i < 200; ++i) BOOST_REQUIRE(w.write(line + "\n"));  // 200 KB: the pipe holds 64 KiB
  // Returns (the final drain gives up after kStopDeadline; a hang fails by
  // the test's timeout) and counts the lines the pipe could not take.
  const std::uint64_t lost = w.stop();
  BOOST_TEST(lost >= 100u);  // ~135 of 200 do not fit in a 64 KiB pipe
  BOOST_TEST(lost < 200u);
  BOOST_TEST(w.dropped() == lost);
  BOOST_TEST(!w.write("after the stop\n"));
}

BOOST_AUTO_TEST_CASE(the_logger_writes_through_it_and_reports_its_drops) {
  Pipe p;
  LogWriter w(p.w, 4096, std::chrono::milliseconds(5));
  Logger log(LogLevel::info, w);
  log.record(LogLevel::info, "hello", {LogField{"n", std::int64_t{3}}, LogField{"who", std::string_view("a b")}});
  const std::string got = p.read_until("\n");
  BOOST_TEST(got.find(" info hello n=3 who=\"a b\"\n") != std::string::npos, got);
  BOOST_TEST(log.dropped() == 0u);
}

BOOST_AUTO_TEST_CASE(no_text_in_a_line_can_start_a_line_of_its_own) {
  // An upstream error message with a newline ("x\n2026-... error forged") forged a line.
  std::string lines;
  Logger log(LogLevel::info, [&](std::string_view l) { lines += l; });
  log.record(LogLevel::warn, "stream broken: provider said x\n2026-01-01T00:00:00.000Z error forged",
             {LogField{"error", std::string_view("y\r\nlevel=error msg=forged")}});
  log.warn("upstream: a\nb\x1b[31m");
  BOOST_TEST(std::count(lines.begin(), lines.end(), '\n') == 2);
  BOOST_TEST(lines.find("x\\x0a2026") != std::string::npos, lines);
  BOOST_TEST(lines.find("a\\x0ab\\x1b[31m") != std::string::npos, lines);
  BOOST_TEST(lines.find("\r") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
