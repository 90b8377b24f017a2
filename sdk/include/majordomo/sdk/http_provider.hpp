// The part every HTTP provider without options repeats: its description, a transport, a parser pool. (0.4)
#pragma once

#include <majordomo/sdk/requires_cxx20.hpp>

#include <majordomo/plugin.h>
#include <majordomo/sdk/call.hpp>
#include <majordomo/sdk/http.hpp>
#include <majordomo/sdk/parser_pool.hpp>
#include <majordomo/sdk/provider_support.hpp>
#include <majordomo/sdk/str.hpp>

#include <memory>
#include <utility>

namespace majordomo::sdk {
inline namespace v1 {

// A provider class derives from this, inherits its constructor and adds build() and open():
//
//   class AcmeProvider : public sdk::OptionlessHttpProvider<kProviderInfo> {
//    public:
//     using OptionlessHttpProvider::OptionlessHttpProvider;
//     sdk::Prepared build(const mj_request& request) const;
//     std::unique_ptr<sdk::Call> open(const mj_call_params& params) {
//       return open_call(params, std::make_unique<AnswersDecoder>(lease_parser()));
//     }
//   };
//
// The first provider option given is an MJ_ERR_CONFIGURATION naming Info's provider_id (see
// reject_all_options); a provider that reads options holds its own HttpTransport instead.
template <const mj_provider_info& Info>
class OptionlessHttpProvider {
 public:
  static const mj_provider_info& info() { return Info; }

  explicit OptionlessHttpProvider(const mj_instance_config& config)
      : transport_(TransportConfig::from(config)) {
    reject_all_options(config, view(Info.provider_id));
  }

 protected:
  // A parser from the instance's pool: its buffers survive between calls.
  ParserPool::Lease lease_parser() { return parsers_.acquire(); }

  // Sends at once through the instance's transport (pooled connections, the resolved proxy);
  // `decoder` turns the answer into events.
  std::unique_ptr<Call> open_call(const mj_call_params& params, std::unique_ptr<ResponseDecoder> decoder) {
    return std::make_unique<HttpCall>(transport_, params, std::move(decoder));
  }

 private:
  HttpTransport transport_;
  ParserPool parsers_;
};

}  // namespace v1
}  // namespace majordomo::sdk
