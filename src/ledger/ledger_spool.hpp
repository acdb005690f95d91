#pragma once
// Ledger rows kept on disk while the shared database is unreachable
// ([store] spool_dir, bounded by spool_max_bytes): one file per batch (a JSON
// array of rows, as sent to the database), written to a temporary name and
// renamed (a crash leaves no half file), replayed oldest first and removed
// once the database has them. Files left by an earlier run are found at
// start. A batch that would pass the bound is refused (the caller counts its
// rows as dropped). Not thread-safe: the ledger's shipper only.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchyard::ledger {

class LedgerSpool {
 public:
  struct Batch {
    std::filesystem::path file;
    std::uint64_t rows = 0;
    std::uint64_t bytes = 0;
  };
  // Creates `dir` when missing. Throws std::runtime_error when it cannot (startup).
  LedgerSpool(std::filesystem::path dir, std::uint64_t max_bytes);

  // false: over the bound, or the disk refused it (nothing written).
  bool put(std::string_view rows_json, std::uint64_t rows);
  // The oldest batch, if any.
  std::optional<Batch> oldest() const;
  std::optional<std::string> read(const Batch& batch) const;
  void remove(const Batch& batch);

  std::uint64_t bytes() const noexcept { return bytes_; }
  std::uint64_t rows() const noexcept { return rows_; }
  bool empty() const noexcept { return batches_.empty(); }

 private:
  std::filesystem::path dir_;
  std::uint64_t max_bytes_;
  std::uint64_t bytes_ = 0, rows_ = 0, sequence_ = 0;
  std::vector<Batch> batches_;  // oldest first
};

}  // namespace switchyard::ledger
