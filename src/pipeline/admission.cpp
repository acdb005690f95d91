#include "pipeline/admission.hpp"

namespace switchyard::pipeline {

result<Admission> AdmissionControl::admit(const auth::KeyEntry*, std::string_view, server::ResponseHeaders&) {
  return Admission{};  // no limits configured yet: every authenticated request goes on
}

}  // namespace switchyard::pipeline
