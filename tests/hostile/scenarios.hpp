// The hostile-server suite's cases: every misbehaviour, every provider, JSON and stream, and what issue 9 says each must give.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace majordomo::hostile {

// One provider route as the CLI reaches it.
struct ProviderCase {
  std::string label;                    // "openai", "openai-responses", "anthropic", ...
  std::string provider;                 // --provider
  std::string model;                    // --model
  std::vector<std::string> extra_args;  // e.g. --api responses
  std::string base_path;                // appended to the case's base URL (e.g. "/v1")
};
const std::vector<ProviderCase>& provider_cases();

// What one run must end with (beyond what every run must: see the runner).
struct Expectation {
  bool success = false;                  // exit 0 and an answer; otherwise exit 1 and an error object
  std::string content;                   // the answer's content when success
  bool empty_success_too = false;        // an error as below, or a success with empty content
  std::vector<std::string> kinds;        // accepted error kinds
  // Every group must match the error message (case-insensitively) by one of its alternatives.
  std::vector<std::vector<std::string>> message_has;
  std::optional<size_t> requests;        // exactly this many requests reached the server
  size_t max_requests = 3;               // otherwise at most this many (retries)
};

struct Scenario {
  std::string name;                      // the majordomo-fake --misbehave name
  std::chrono::milliseconds timeout;     // the CLI's --timeout
  bool via_proxy = false;                // the CLI uses the server as its forward proxy too
  bool mostly_waiting = false;           // the runs wait on a silent server: more may run at once
  bool check_call_log = false;           // also log the call (SQLite and body files) and look for secrets there
  std::function<std::vector<std::string>(bool stream)> extra_args;
  // `origin` is http://127.0.0.1:PORT of the server (redirects point back at it).
  std::function<Expectation(const ProviderCase&, bool stream, const std::string& origin)> expect;
};
const std::vector<Scenario>& scenarios();

}  // namespace majordomo::hostile
