// The fake server with the shared fixtures, and `majordomo ask` pointed at its OpenAI API: the set-up most CLI tests share.
#pragma once

#include "fake_server.hpp"

#include <string>
#include <utility>
#include <vector>

namespace majordomo::testing {

// The metadata header options the header tests pass: one instance-level, one per-request.
inline const std::vector<std::string> kFeatureHeaderOptions = {"--header", "X-Majordomo-Feature: instance",
                                                               "--request-header", "x-majordomo-feature: request"};

class CliFakeEnv {
 public:
  // `options` go after the key on every ask (e.g. kFeatureHeaderOptions).
  explicit CliFakeEnv(std::string key, std::vector<std::string> options = {})
      : key_(std::move(key)), options_(std::move(options)) {
    server.start();
  }

  fake::FakeProviderServer server{[] {
    fake::FakeServerOptions options;
    options.fixtures_dir = MAJORDOMO_TEST_FIXTURES;
    return options;
  }()};

  std::vector<std::string> ask(std::vector<std::string> extra) const {
    std::vector<std::string> args = {"ask", "--provider", "openai", "--model", "gpt-4o",
                                     "--base-url", server.origin() + "/v1", "--api-key", key_};
    args.insert(args.end(), options_.begin(), options_.end());
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  // The next answer replays `fixture`.
  void push_fixture(std::string fixture) {
    fake::ScriptedResponse response;
    response.fixture = std::move(fixture);
    server.push_response(response);
  }

  // The next answer is `body` with `status`.
  void push_error(int status, std::string body, std::string content_type = "application/json") {
    fake::ScriptedResponse response;
    response.status = status;
    response.content_type = std::move(content_type);
    response.body = std::move(body);
    server.push_response(response);
  }

 private:
  std::string key_;
  std::vector<std::string> options_;
};

}  // namespace majordomo::testing
