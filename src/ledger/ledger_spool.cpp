#include "ledger/ledger_spool.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace switchyard::ledger {

namespace fs = std::filesystem;

namespace {
// "<16-digit sequence>-<rows>.json": names sort in the order they were written.
std::string batch_name(std::uint64_t sequence, std::uint64_t rows) {
  std::string seq = std::to_string(sequence);
  return std::string(16 - std::min<std::size_t>(16, seq.size()), '0') + seq + "-" + std::to_string(rows) + ".json";
}

std::optional<std::pair<std::uint64_t, std::uint64_t>> parse_name(const std::string& name) {
  const auto dash = name.find('-');
  const auto dot = name.rfind(".json");
  if (dash == std::string::npos || dot == std::string::npos || dot < dash || dot + 5 != name.size()) return std::nullopt;
  std::uint64_t seq = 0, rows = 0;
  if (std::from_chars(name.data(), name.data() + dash, seq).ec != std::errc{}) return std::nullopt;
  if (std::from_chars(name.data() + dash + 1, name.data() + dot, rows).ec != std::errc{}) return std::nullopt;
  return std::pair{seq, rows};
}
}  // namespace

LedgerSpool::LedgerSpool(fs::path dir, std::uint64_t max_bytes) : dir_(std::move(dir)), max_bytes_(max_bytes) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) throw std::runtime_error("[store] spool_dir " + dir_.string() + ": " + ec.message());
  // The sequence continues after an earlier run's files (a clock is not needed to order them).
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    const auto name = entry.path().filename().string();
    const auto parsed = parse_name(name);
    if (!parsed || !entry.is_regular_file()) {
      if (name.ends_with(".tmp")) fs::remove(entry.path(), ec);  // a write cut short
      continue;
    }
    const auto size = entry.file_size(ec);
    batches_.push_back({entry.path(), parsed->second, ec ? 0 : size});
    bytes_ += batches_.back().bytes;
    rows_ += parsed->second;
    sequence_ = std::max(sequence_, parsed->first + 1);
  }
  std::sort(batches_.begin(), batches_.end(), [](const Batch& a, const Batch& b) { return a.file.filename() < b.file.filename(); });
}

bool LedgerSpool::put(std::string_view rows_json, std::uint64_t rows) {
  if (bytes_ + rows_json.size() > max_bytes_) return false;
  const fs::path file = dir_ / batch_name(sequence_, rows);
  const fs::path tmp = file.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(rows_json.data(), static_cast<std::streamsize>(rows_json.size()));
    out.flush();
    if (!out) {
      std::error_code ec;
      fs::remove(tmp, ec);
      return false;
    }
  }
  std::error_code ec;
  fs::rename(tmp, file, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return false;
  }
  ++sequence_;
  batches_.push_back({file, rows, rows_json.size()});
  bytes_ += rows_json.size();
  rows_ += rows;
  return true;
}

std::optional<LedgerSpool::Batch> LedgerSpool::oldest() const {
  if (batches_.empty()) return std::nullopt;
  return batches_.front();
}

std::optional<std::string> LedgerSpool::read(const Batch& batch) const {
  std::ifstream in(batch.file, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void LedgerSpool::remove(const Batch& batch) {
  std::error_code ec;
  fs::remove(batch.file, ec);
  std::erase_if(batches_, [&](const Batch& b) {
    if (b.file != batch.file) return false;
    bytes_ -= std::min(bytes_, b.bytes);
    rows_ -= std::min(rows_, b.rows);
    return true;
  });
}

}  // namespace switchyard::ledger
