#include "routing/target_selector.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <numeric>

namespace switchyard::routing {

bool capable(const TargetConfig* t, const RequestNeeds& needs) noexcept {
  if (!t) return true;
  if (needs.tools && !t->tools) return false;
  if (needs.images && !t->images) return false;
  if (needs.embeddings && !t->embeddings) return false;
  if (t->max_context > 0 && needs.context_tokens > t->max_context) return false;
  return true;
}

std::string missing_capability(const TargetConfig* t, const RequestNeeds& needs) {
  if (!t) return {};
  if (needs.embeddings && !t->embeddings) return "embeddings";
  if (needs.tools && !t->tools) return "tools";
  if (needs.images && !t->images) return "images";
  if (t->max_context > 0 && needs.context_tokens > t->max_context) {
    return "a context of about " + std::to_string(needs.context_tokens) + " tokens (max_context " + std::to_string(t->max_context) + ")";
  }
  return {};
}

namespace {

// Draws without replacement, each pick with probability weight / remaining weight.
void weighted_shuffle(std::vector<std::size_t>& items, const std::vector<double>& weights,
                      const std::function<double()>& random) {
  std::vector<std::size_t> out;
  out.reserve(items.size());
  std::vector<double> w(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) w[i] = std::max(0.0, weights[items[i]]);
  while (!items.empty()) {
    const double total = std::accumulate(w.begin(), w.end(), 0.0);
    std::size_t pick = 0;
    if (total > 0) {
      double x = random() * total;
      for (pick = 0; pick + 1 < items.size(); ++pick) {
        if (x < w[pick]) break;
        x -= w[pick];
      }
    }
    out.push_back(items[pick]);
    items.erase(items.begin() + static_cast<std::ptrdiff_t>(pick));
    w.erase(w.begin() + static_cast<std::ptrdiff_t>(pick));
  }
  items = std::move(out);
}

}  // namespace

std::vector<std::size_t> order_targets(Strategy strategy, std::span<const TargetView> targets,
                                       const RequestNeeds& needs, const std::function<double()>& random) {
  std::vector<std::size_t> healthy, limited;
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const auto& t = targets[i];
    if (!capable(t.config, needs) || t.circuit == resilience::CircuitState::open) continue;
    // A half-open target keeps its place: its probe is how it recovers (the
    // breaker lets only the allowed number of probes through).
    if (t.health.rate_limited) limited.push_back(i);
    else healthy.push_back(i);
  }
  if (strategy == Strategy::weighted) {
    std::vector<double> w(targets.size());
    for (std::size_t i = 0; i < targets.size(); ++i) w[i] = targets[i].config ? targets[i].config->weight : 1.0;
    weighted_shuffle(healthy, w, random);
  } else if (strategy == Strategy::health) {
    std::vector<double> w(targets.size());
    for (std::size_t i = 0; i < targets.size(); ++i) w[i] = std::max(targets[i].score, 1e-6);
    weighted_shuffle(healthy, w, random);
  } else if (strategy == Strategy::lowest_cost) {
    std::stable_sort(healthy.begin(), healthy.end(), [&](std::size_t a, std::size_t b) {
      auto price = [&](std::size_t i) {
        const auto* c = targets[i].config;
        return c ? c->input_price + c->output_price : 0.0;
      };
      return price(a) < price(b);
    });
  } else if (strategy == Strategy::lowest_latency) {
    std::stable_sort(healthy.begin(), healthy.end(), [&](std::size_t a, std::size_t b) {
      auto speed = [&](std::size_t i) {
        const auto& h = targets[i].health;
        return h.ewma_ttft_ms > 0 ? h.ewma_ttft_ms : h.ewma_latency_ms;  // 0 = unmeasured: try it first
      };
      return speed(a) < speed(b);
    });
  }
  healthy.insert(healthy.end(), limited.begin(), limited.end());
  return healthy;
}

RequestNeeds needs_of(const boost::json::object& body, Operation op) {
  RequestNeeds n;
  if (op == Operation::embeddings) {
    n.embeddings = true;
    std::size_t longest = 0;  // each input is embedded on its own: the longest one must fit
    auto measure = [&](const boost::json::value& v) {
      if (v.is_string()) longest = std::max(longest, v.as_string().size() / 4);
      else if (v.is_array()) longest = std::max(longest, v.as_array().size());  // token ids
    };
    if (const auto* input = body.if_contains("input")) {
      const bool tokens = input->is_array() && !input->as_array().empty() && input->as_array()[0].is_number();
      if (input->is_array() && !tokens) {
        for (const auto& item : input->as_array()) measure(item);
      } else {
        measure(*input);
      }
    }
    n.context_tokens = longest;
    return n;
  }
  if (const auto* tools = body.if_contains("tools"); tools && tools->is_array() && !tools->as_array().empty()) n.tools = true;
  if (const auto* fns = body.if_contains("functions"); fns && fns->is_array() && !fns->as_array().empty()) n.tools = true;
  std::size_t chars = 0;
  if (const auto* msgs = body.if_contains("messages"); msgs && msgs->is_array()) {
    for (const auto& m : msgs->as_array()) {
      const auto* content = m.is_object() ? m.as_object().if_contains("content") : nullptr;
      if (!content) continue;
      if (content->is_string()) {
        chars += content->as_string().size();
      } else if (content->is_array()) {
        for (const auto& part : content->as_array()) {
          if (!part.is_object()) continue;
          const auto* type = part.as_object().if_contains("type");
          if (type && type->is_string() && (type->as_string() == "image_url" || type->as_string() == "input_image")) n.images = true;
          if (const auto* text = part.as_object().if_contains("text"); text && text->is_string()) chars += text->as_string().size();
        }
      }
    }
  }
  std::size_t max_tokens = 0;
  for (const char* k : {"max_tokens", "max_completion_tokens"}) {
    if (const auto* v = body.if_contains(k); v && v->is_int64() && v->as_int64() > 0) max_tokens = static_cast<std::size_t>(v->as_int64());
  }
  n.context_tokens = chars / 4 + max_tokens;  // ~4 characters a token
  return n;
}

}  // namespace switchyard::routing
