// The ledger's spool (ledger/ledger_spool): batches kept in order, bounded by
// bytes, found again after a restart, removed once replayed; a half-written
// file of a crash is discarded.
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>

#include "ledger/ledger_spool.hpp"

using namespace switchyard::ledger;
namespace fs = std::filesystem;

namespace {
fs::path fresh_dir(const char* name) {
  const auto dir = fs::temp_directory_path() / ("sy-spool-unit-" + std::to_string(::getpid()) + "-" + name);
  fs::remove_all(dir);
  return dir;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(ledger_spool)

BOOST_AUTO_TEST_CASE(batches_come_back_oldest_first_and_survive_a_restart) {
  const auto dir = fresh_dir("order");
  {
    LedgerSpool spool(dir, 1 << 20);
    BOOST_TEST(spool.empty());
    BOOST_TEST(spool.put(R"([{"row_id":"a"}])", 1));
    BOOST_TEST(spool.put(R"([{"row_id":"b"},{"row_id":"c"}])", 2));
    BOOST_TEST(spool.rows() == 3u);
  }
  std::ofstream(dir / "0000000000000009-5.json.tmp") << "[{\"row";  // a write cut short by a crash
  LedgerSpool again(dir, 1 << 20);
  BOOST_TEST(again.rows() == 3u);
  BOOST_TEST(!fs::exists(dir / "0000000000000009-5.json.tmp"));
  auto first = again.oldest();
  BOOST_REQUIRE(first);
  BOOST_TEST(first->rows == 1u);
  BOOST_TEST(*again.read(*first) == R"([{"row_id":"a"}])");
  again.remove(*first);
  auto second = again.oldest();
  BOOST_REQUIRE(second);
  BOOST_TEST(*again.read(*second) == R"([{"row_id":"b"},{"row_id":"c"}])");
  // New batches go after the earlier run's.
  BOOST_TEST(again.put(R"([{"row_id":"d"}])", 1));
  again.remove(*second);
  BOOST_TEST(*again.read(*again.oldest()) == R"([{"row_id":"d"}])");
  again.remove(*again.oldest());
  BOOST_TEST(again.empty());
  BOOST_TEST(again.bytes() == 0u);
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(a_batch_past_the_bound_is_refused_and_nothing_is_written) {
  const auto dir = fresh_dir("bound");
  LedgerSpool spool(dir, 40);
  BOOST_TEST(spool.put(std::string(30, 'x'), 3));
  BOOST_TEST(!spool.put(std::string(11, 'y'), 1));  // 41 bytes would pass 40
  BOOST_TEST(spool.rows() == 3u);
  BOOST_TEST(spool.bytes() == 30u);
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& f : fs::directory_iterator(dir)) ++files;
  BOOST_TEST(files == 1u);
  spool.remove(*spool.oldest());
  BOOST_TEST(spool.put(std::string(40, 'z'), 4));  // room again once replayed
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_SUITE_END()
