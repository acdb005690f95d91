#include "cache/response_cache.hpp"
#include "cache/shared_cache.hpp"

#include "auth/key_store.hpp"
#include "cache/cache_key.hpp"
#include "cache/completion_chunks.hpp"
#include "cache/native_shapes.hpp"
#include "observability/prometheus.hpp"

namespace switchyard {

std::string_view to_string(CacheStatus status) noexcept {
  switch (status) {
    case CacheStatus::miss: return "miss";
    case CacheStatus::hit: return "hit";
    case CacheStatus::coalesced: return "coalesced";
    case CacheStatus::bypass: return "bypass";
    case CacheStatus::none: break;
  }
  return "";
}

}  // namespace switchyard

namespace switchyard::cache {

namespace {
constexpr std::int64_t kSweepEveryMs = 60'000;

std::size_t slot_of(CacheStatus s) noexcept {
  switch (s) {
    case CacheStatus::hit: return 0;
    case CacheStatus::miss: return 1;
    case CacheStatus::bypass: return 2;
    default: return 3;
  }
}

// The client API a request came in (a native request's answer is in its own
// API, so its whole and streamed shapes are different entries), with the
// headers that change the answer.
std::string api_of(const ChatRequest& request, bool streaming) {
  if (!request.native) return "chat";
  std::string api = request.native->api == NativeApi::anthropic_messages ? "messages"
                    : request.native->api == NativeApi::gemini_generate  ? "gemini"
                                                                          : "responses";
  api += streaming ? "/stream" : "/whole";
  for (const auto& [name, value] : request.native->headers) {
    api += '|';
    api += name;
    api += '=';
    api += value;
  }
  return api;
}
}  // namespace

ResponseCache::ResponseCache(boost::asio::any_io_executor ex, const CacheConfig& config, Clock clock, CacheShare share)
    : ex_(std::move(ex)), config_(config), clock_(std::move(clock)), share_(std::move(share)) {
  if (!share_.store) share_.store = std::make_shared<ShardedStore>(config.max_bytes, 1);
}

CachePlan ResponseCache::plan(const ChatRequest& request, const auth::KeyEntry* key, const ModelRouteConfig* route, std::string_view name,
                               bool streaming) const {
  CachePlan p;
  if (!config_.enabled || !route || !route->cache) return p;
  p.route = std::string(name);
  const CacheControl& c = request.cache;
  if (c.off || (c.no_cache && c.no_store)) {
    p.status = CacheStatus::bypass;
    return p;
  }
  p.status = CacheStatus::miss;
  p.lookup = !c.no_cache;
  p.store = !c.no_store;
  p.max_age_ms = c.max_age_ms;
  p.ttl_ms = route->cache_ttl.count() > 0 ? route->cache_ttl.count() : config_.ttl.count();
  const std::string scope = config_.per_key ? (key ? "key:" + key->name : std::string("in-process")) : std::string("global");
  const auto& body = request.native ? request.native->body : request.body;
  p.key = hasher_.key(scope, api_of(request, streaming), name, body);
  if (request.native) p.other_shape_key = hasher_.key(scope, api_of(request, !streaming), name, body);
  return p;
}

std::shared_ptr<const CachedEntry> ResponseCache::find(const CachePlan& plan) {
  if (!plan.lookup) return nullptr;
  const auto now = clock_();
  if (now - last_sweep_ms_ >= kSweepEveryMs) {  // expired entries go now and then, not only when looked up
    last_sweep_ms_ = now;
    share_.store->sweep(now);
  }
  return share_.store->find(plan.key, now, plan.max_age_ms);
}

std::shared_ptr<const CachedEntry> ResponseCache::find_other_shape(const CachePlan& plan, bool streaming) {
  if (!plan.lookup || plan.other_shape_key.empty()) return nullptr;
  auto stored = share_.store->find(plan.other_shape_key, clock_(), plan.max_age_ms);
  if (!stored || !stored->native) return nullptr;
  auto converted = std::make_shared<CachedEntry>(*stored);
  if (streaming) {
    if (!stored->chunks.empty()) return nullptr;
    auto events = native_events(stored->body);
    if (events.empty()) return nullptr;
    converted->body.clear();
    converted->chunks.assign(std::make_move_iterator(events.begin()), std::make_move_iterator(events.end()));
  } else {
    if (stored->chunks.empty()) return nullptr;
    auto whole = native_whole(stored->chunks);
    if (!whole) return nullptr;
    converted->chunks.clear();
    converted->body = std::move(*whole);
  }
  return converted;
}

std::shared_ptr<Flight> ResponseCache::in_flight(const CachePlan& plan) {
  if (!plan.lookup) return nullptr;
  auto it = flights_.find(plan.key);
  if (it == flights_.end()) return nullptr;
  const auto& f = it->second;
  if (f->oversized() || f->state() == Flight::State::failed) return nullptr;
  return f;
}

std::shared_ptr<Flight> ResponseCache::start(const CachePlan& plan, bool streaming) {
  // One answer may take at most a quarter of the cache: a bigger one is relayed, not stored.
  // Answers being fetched hold at most max_bytes together: past it they are relayed, not kept.
  auto f = std::make_shared<Flight>(ex_, streaming, std::max<std::size_t>(config_.max_bytes / 4, 1), share_.inflight_bytes, config_.max_bytes);
  flights_.insert_or_assign(plan.key, f);
  flight_count_ = flights_.size();
  return f;
}

bool ResponseCache::claim(const CachePlan& plan) { return !share_.board || share_.board->claim(plan.key); }

boost::asio::awaitable<FlightBoard::Outcome> ResponseCache::wait_elsewhere(const CachePlan& plan) {
  if (!share_.board) co_return FlightBoard::Outcome{};
  co_return co_await share_.board->wait(plan.key);
}

void ResponseCache::settle(const CachePlan& plan, const std::shared_ptr<Flight>& f) {
  if (auto it = flights_.find(plan.key); it != flights_.end() && it->second == f) flights_.erase(it);
  flight_count_ = flights_.size();
  store(plan, *f);
  if (share_.board) share_.board->end(plan.key, f->state() == Flight::State::failed ? &f->error() : nullptr);
}

void ResponseCache::store(const CachePlan& plan, const Flight& flight) {
  const Flight* f = &flight;
  if (!plan.store || f->state() != Flight::State::done || f->oversized()) return;
  CachedEntry e;
  if (f->streaming()) {
    if (!finished_stream(f->chunks(), f->marks())) return;
    e.chunks.reserve(f->chunks().size());
    for (const auto& c : f->chunks()) e.chunks.push_back(c);
    e.marks = f->marks();
  } else {
    if (!finished_answer(f->whole().body)) return;
    e.body = f->whole().body;
  }
  e.native = f->native();
  e.usage = f->usage();
  e.cost_usd = f->cost_usd();
  e.provider = f->provider();
  e.model = f->model();
  e.stored_ms = clock_();
  e.ttl_ms = plan.ttl_ms;
  if (shared_) shared_->put(plan.key, e, e.stored_ms);
  share_.store->put(plan.key, std::move(e));
}

void ResponseCache::adopt(const CachePlan& plan, CachedEntry entry) {
  share_.store->put(plan.key, std::move(entry));
}

bool ResponseCache::held(const CachePlan& plan) const {
  return flights_.count(plan.key) > 0 || share_.store->contains(plan.key);
}

void ResponseCache::count(const std::string& route, CacheStatus status, double saved_usd) {
  if (status == CacheStatus::none) return;
  auto it = requests_.find(route);
  if (it == requests_.end()) {
    std::lock_guard lock(maps_mu_);  // a reader may be walking the map
    it = requests_.try_emplace(route).first;
  }
  ++it->second[slot_of(status)];
  if (saved_usd != 0) saved_usd_ += saved_usd;
}

std::array<std::uint64_t, 4> ResponseCache::route_counts(std::string_view route) const {
  std::lock_guard lock(maps_mu_);
  std::array<std::uint64_t, 4> out{};
  auto it = requests_.find(route);
  if (it != requests_.end()) {
    for (std::size_t i = 0; i < 4; ++i) out[i] = it->second[i];
  }
  return out;
}

void ResponseCache::write_metrics(observability::PrometheusWriter& out, const std::vector<const ResponseCache*>& caches) {
  if (caches.empty() || !caches[0]->config_.enabled) return;
  std::map<std::string, std::array<std::uint64_t, 4>, std::less<>> routes;
  std::size_t flights = 0;
  double saved = 0;
  for (const auto* c : caches) {
    std::lock_guard lock(c->maps_mu_);
    for (const auto& [route, counts] : c->requests_) {
      auto& sum = routes[route];
      for (std::size_t i = 0; i < sum.size(); ++i) sum[i] += counts[i];
    }
    flights += c->flight_count_;
    saved += c->saved_usd_;
  }
  const ShardedStore& store = *caches[0]->share_.store;
  out.help("switchyard_cache_requests_total", "counter", "Requests to caching routes by what the response cache did.");
  static constexpr std::array<std::string_view, 4> kResults{"hit", "miss", "bypass", "coalesced"};
  for (const auto& [route, counts] : routes) {
    for (std::size_t i = 0; i < kResults.size(); ++i) {
      out.sample("switchyard_cache_requests_total", {{"route", route}, {"result", kResults[i]}}, static_cast<double>(counts[i]));
    }
  }
  out.help("switchyard_cache_bytes", "gauge", "Bytes of stored answers (keys, chunks and bookkeeping counted).");
  out.sample("switchyard_cache_bytes", {}, static_cast<double>(store.bytes()));
  out.help("switchyard_cache_max_bytes", "gauge", "The cache's byte budget ([cache] max_bytes).");
  out.sample("switchyard_cache_max_bytes", {}, static_cast<double>(store.max_bytes()));
  out.help("switchyard_cache_entries", "gauge", "Stored answers.");
  out.sample("switchyard_cache_entries", {}, static_cast<double>(store.entries()));
  out.help("switchyard_cache_evictions_total", "counter", "Answers evicted to stay within max_bytes.");
  out.sample("switchyard_cache_evictions_total", {}, static_cast<double>(store.evictions()));
  out.help("switchyard_cache_in_flight", "gauge", "Answers being fetched that identical requests may join.");
  out.sample("switchyard_cache_in_flight", {}, static_cast<double>(flights));
  out.help("switchyard_cache_in_flight_bytes", "gauge", "Bytes held by answers being fetched (kept to be stored; at most max_bytes together).");
  out.sample("switchyard_cache_in_flight_bytes", {}, static_cast<double>(caches[0]->inflight_bytes()));
  out.help("switchyard_cache_saved_usd_total", "counter", "What hits and coalesced requests would have cost at the answering target's prices.");
  out.sample("switchyard_cache_saved_usd_total", {}, saved);
}

std::optional<std::string> whole_body(const CachedEntry& entry) {
  if (entry.chunks.empty()) return entry.body;
  if (entry.native) return native_whole(entry.chunks);
  return assemble_completion(entry.chunks);
}

namespace {

// The usage chunk as the client asked: a usage-only chunk left out for a
// client that did not ask, one made from the answer's usage for a client that
// did when the stream had none (OpenAI chunks only). `native` is asked at
// each chunk: a flight learns it when its upstream opens, after its first
// reader came (a Responses passthrough got a chat usage line at its end).
class UsageShaper {
 public:
  explicit UsageShaper(bool include_usage) : include_usage_(include_usage) {}
  // false: leave chunk `index` out.
  bool pass(bool native, std::size_t index, std::string_view chunk, const UsageMarks& marks) {
    if (native) return true;
    if (!include_usage_) return !marks.is_usage_only(index);
    if (first_.empty()) first_.assign(chunk);  // its id, created and model, for a usage chunk made at the end
    return true;
  }
  // At the end: the usage chunk to add, if any (valid until the next call).
  std::optional<std::string_view> closing(bool native, const Usage& used, const UsageMarks& marks) {
    if (native || !include_usage_ || marks.carries_usage || made_ || !used.reported || first_.empty()) return std::nullopt;
    made_ = true;
    first_ = usage_chunk(first_, used);
    return std::string_view(first_);
  }

 private:
  bool include_usage_;
  bool made_ = false;
  std::string first_;  // the stream's first chunk
};

class FlightReader final : public ChunkSource {
 public:
  FlightReader(std::shared_ptr<Flight> f, bool include_usage, bool leader, std::function<void(const Error*)> on_end)
      : f_(std::move(f)), shaper_(include_usage), leader_(leader), on_end_(std::move(on_end)) {
    reader_.streaming = true;
    f_->attach(&reader_);
  }
  ~FlightReader() override {
    const Error dropped = make_error(errc::cancelled, "the client left");
    finish(&dropped);
    f_->detach(&reader_);
  }
  std::optional<Item> poll() override {
    for (;;) {
      if (reader_.next < f_->chunk_count()) {
        const std::size_t i = reader_.next++;
        const std::string_view c = f_->chunk(i);
        reader_.bytes += c.size();
        f_->advanced(reader_);
        if (!shaper_.pass(f_->native(), i, c, f_->marks())) continue;
        return Item(std::optional<std::string_view>(c));
      }
      if (f_->state() == Flight::State::running) return std::nullopt;
      if (f_->state() == Flight::State::failed) {
        finish(&f_->error());
        return Item(f_->error());
      }
      if (auto extra = shaper_.closing(f_->native(), f_->usage(), f_->marks())) return Item(std::optional<std::string_view>(*extra));
      finish(nullptr);
      return Item(std::optional<std::string_view>());
    }
  }
  boost::asio::awaitable<void> fill() override {
    if (reader_.next >= f_->chunk_count() && f_->state() == Flight::State::running) co_await f_->wait(reader_.next);
  }
  boost::asio::awaitable<Item> next() override {
    for (;;) {
      if (auto item = poll()) co_return std::move(*item);
      if (!co_await f_->wait(reader_.next)) {
        const Error gone = make_error(errc::cancelled, "the client left");
        finish(&gone);
        co_return gone;
      }
    }
  }
  Usage usage() const noexcept override { return leader_ ? f_->usage() : Usage{}; }
  double cost_usd() const noexcept override { return leader_ ? f_->cost_usd() : 0; }

 private:
  void finish(const Error* e) {
    if (!on_end_) return;
    auto f = std::move(on_end_);
    on_end_ = nullptr;
    f(e);
  }
  std::shared_ptr<Flight> f_;
  Flight::Reader reader_;
  UsageShaper shaper_;
  bool leader_;
  std::function<void(const Error*)> on_end_;
};

// A stored answer replayed: its chunks one by one, without the original delays.
class EntryReader final : public ChunkSource {
 public:
  EntryReader(std::shared_ptr<const CachedEntry> e, bool include_usage)
      : e_(std::move(e)), shaped_(e_->native || e_->chunks.empty()), shaper_(include_usage) {  // made chunks: shaped already
    if (e_->chunks.empty()) made_ = e_->native ? native_events(e_->body) : completion_to_chunks(e_->body, include_usage);
  }
  std::optional<Item> poll() override {
    for (;;) {
      const std::size_t n = e_->chunks.empty() ? made_.size() : e_->chunks.size();
      if (i_ < n) {
        const std::string_view c = e_->chunks.empty() ? std::string_view(made_[i_]) : std::string_view(e_->chunks[i_]);
        if (!shaper_.pass(shaped_, i_++, c, e_->marks)) continue;
        return Item(std::optional<std::string_view>(c));
      }
      if (auto extra = shaper_.closing(shaped_, e_->usage, e_->marks)) return Item(std::optional<std::string_view>(*extra));
      return Item(std::optional<std::string_view>());
    }
  }
  boost::asio::awaitable<Item> next() override { co_return *poll(); }
  Usage usage() const noexcept override { return {}; }

 private:
  std::shared_ptr<const CachedEntry> e_;
  std::vector<std::string> made_;  // a whole answer's chunks
  bool shaped_;  // native chunks, or chunks made from a whole answer: passed as they are
  UsageShaper shaper_;
  std::size_t i_ = 0;
};

}  // namespace

std::unique_ptr<ChunkSource> flight_reader(std::shared_ptr<Flight> flight, bool include_usage, bool leader,
                                           std::function<void(const Error*)> on_end) {
  return std::make_unique<FlightReader>(std::move(flight), include_usage, leader, std::move(on_end));
}

std::unique_ptr<ChunkSource> entry_reader(std::shared_ptr<const CachedEntry> entry, bool include_usage) {
  return std::make_unique<EntryReader>(std::move(entry), include_usage);
}

}  // namespace switchyard::cache
