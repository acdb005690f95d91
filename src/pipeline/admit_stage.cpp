#include "pipeline/admit_stage.hpp"

#include "governance/governor.hpp"
#include "pipeline/shared_admission.hpp"

namespace switchyard::pipeline {

namespace {
// A ticket whose end waits for the exchange's: finishing it notes what was
// used; the figures are applied when the exchange lets it go (the answer
// written, or the client gone), so a key's concurrency slot covers the write.
class HeldTicket final : public AdmissionTicket {
 public:
  explicit HeldTicket(std::shared_ptr<AdmissionTicket> inner) : inner_(std::move(inner)) {}
  ~HeldTicket() override { inner_->finish(used_, cost_); }
  void finish(const Usage& used, double cost_usd) noexcept override {
    if (finished_) return;
    finished_ = true;
    used_ = used;
    cost_ = cost_usd;
  }

 private:
  std::shared_ptr<AdmissionTicket> inner_;
  Usage used_;
  double cost_ = 0;
  bool finished_ = false;
};
}  // namespace

boost::asio::awaitable<std::optional<Error>> AdmitStage::admit(Exchange& ex, governance::Governor& governor, const boost::json::object& body) {
  Admission a;
  if (shared_) a = co_await shared_->admit(governor, ex.key, body, ex.user);  // (not in a ?: — GCC 12 destroys such a temporary twice)
  else a = governor.admit(ex.key, body, ex.user);
  ex.requests = a.requests;
  ex.tokens = a.tokens;
  if (a.refused) co_return std::move(a.refused);
  if (a.ticket && ex.hold_slot_to_end) a.ticket = std::make_shared<HeldTicket>(std::move(a.ticket));
  ex.ticket = std::move(a.ticket);
  co_return std::nullopt;
}

}  // namespace switchyard::pipeline
