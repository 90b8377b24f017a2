// What the call-log tests share: the keys and schema they call with, a log target, fake server options.
#pragma once

#include "provider_test_env.hpp"

#include <majordomo/logging.hpp>

#include <string>
#include <utility>

namespace majordomo::testing {

inline const std::string kOpenAIKey = "sk-test-0000";

inline const std::string kLocationSchema =
    R"({"type":"object","properties":{"city":{"type":"string"},"temperature":{"type":"number"},)"
    R"("units":{"type":"string"}},"required":["city","temperature","units"]})";

inline LoggingOptions logging_to(std::string target) {
  LoggingOptions options;
  options.target = std::move(target);
  return options;
}

inline fake::FakeServerOptions fixture_server_options(std::string required_key = {}) {
  fake::FakeServerOptions options = ProviderTestEnv::default_options();
  options.required_api_key = std::move(required_key);
  return options;
}

}  // namespace majordomo::testing
