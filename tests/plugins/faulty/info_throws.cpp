// Fault plugin: an SDK plugin whose provider description throws; the export glue must answer MJ_ENTRY_FAILED.
#include <majordomo/sdk/plugin.hpp>

#include <stdexcept>

namespace {

class DescriptionlessProvider {
 public:
  static const mj_provider_info& info() { throw std::runtime_error("the catalog file is missing"); }
  explicit DescriptionlessProvider(const mj_instance_config&) {}
  majordomo::sdk::Prepared build(const mj_request&) { return {}; }
  std::unique_ptr<majordomo::sdk::Call> open(const mj_call_params&) { return nullptr; }
};

}  // namespace

MAJORDOMO_EXPORT_PROVIDER(DescriptionlessProvider)
