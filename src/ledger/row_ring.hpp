#pragma once
// One producer's ledger rows on their way to the writer: a fixed ring of
// fixed-size slots (no allocation, no lock). The producer (a reactor) fills
// slots at tail; the single consumer (the ledger's writer) empties them at
// head. Text longer than its slot field is truncated. Used by both ledger
// backends.
#include <array>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "ledger/ledger.hpp"

namespace switchyard::ledger {

template <std::size_t N>
struct SlotText {
  std::array<char, N> bytes;
  std::uint16_t size = 0;
  void set(std::string_view s) noexcept {
    size = static_cast<std::uint16_t>(s.size() < N ? s.size() : N);
    if (size > 0) std::memcpy(bytes.data(), s.data(), size);
  }
  std::string_view view() const noexcept { return {bytes.data(), size}; }
};

struct RowSlot {
  Ms time_ms = 0;
  SlotText<64> request_id;
  SlotText<64> key;
  SlotText<256> route;
  SlotText<64> provider;
  SlotText<128> model;
  SlotText<48> error;
  SlotText<12> cache;
  SlotText<64> team;
  SlotText<256> user;
  int status = 0;
  int failovers = 0;
  bool stream = false;
  std::int64_t prompt = 0, cached = 0, cache_write = 0, completion = 0, reasoning = 0;
  double cost = 0, latency = 0, ttft = 0, overhead = 0, saved = 0;
};

struct RowRing {
  explicit RowRing(std::size_t n) : slots(n) {}
  std::vector<RowSlot> slots;
  alignas(64) std::atomic<std::uint64_t> head{0};       // next slot the writer reads
  std::atomic<std::uint64_t> committed{0};              // positions written and committed (head moves before the commit)
  alignas(64) std::atomic<std::uint64_t> tail{0};       // next slot push() fills (the producer's line)

  // The producer's: false when the ring is full (the row is not taken).
  bool push(const UsageRow& r) noexcept {
    const auto t = tail.load(std::memory_order_relaxed);
    if (t - head.load(std::memory_order_acquire) >= slots.size()) return false;
    RowSlot& s = slots[t % slots.size()];
    s.time_ms = r.time_ms;
    s.request_id.set(r.request_id);
    s.key.set(r.key);
    s.route.set(r.route);
    s.provider.set(r.provider);
    s.model.set(r.model);
    s.error.set(r.error);
    s.status = r.status;
    s.stream = r.stream;
    s.prompt = r.prompt_tokens;
    s.cached = r.cached_tokens;
    s.cache_write = r.cache_write_tokens;
    s.completion = r.completion_tokens;
    s.reasoning = r.reasoning_tokens;
    s.cost = r.cost_usd;
    s.latency = r.latency_ms;
    s.ttft = r.ttft_ms;
    s.overhead = r.overhead_us;
    s.cache.set(r.cache);
    s.saved = r.saved_usd;
    s.team.set(r.team);
    s.user.set(r.user);
    s.failovers = r.failovers;
    tail.store(t + 1, std::memory_order_release);
    return true;
  }
  const RowSlot& at(std::uint64_t position) const noexcept { return slots[position % slots.size()]; }
};

}  // namespace switchyard::ledger
