// The expectations of the hostile-server suite, scenario by scenario, as issue 9 ("What to build") states them.
#include "scenarios.hpp"

namespace majordomo::hostile {
namespace {

using namespace std::chrono_literals;

constexpr const char* answer_text = "Hello from a hostile server.";

Expectation answer() {
  Expectation e;
  e.success = true;
  e.content = answer_text;
  e.requests = 1;
  return e;
}

// A deterministic error: one request, never retried.
Expectation fails_once(std::vector<std::string> kinds, std::vector<std::vector<std::string>> message_has = {}) {
  Expectation e;
  e.kinds = std::move(kinds);
  e.message_has = std::move(message_has);
  e.requests = 1;
  return e;
}

Expectation times_out() {
  Expectation e;
  e.kinds = {"timeout"};
  return e;
}

std::vector<std::string> no_args(bool) { return {}; }

Scenario scenario(std::string name, std::chrono::milliseconds timeout,
                  std::function<Expectation(const ProviderCase&, bool, const std::string&)> expect) {
  Scenario made;
  made.name = std::move(name);
  made.timeout = timeout;
  made.extra_args = no_args;
  made.expect = std::move(expect);
  return made;
}

Scenario redirect(int status) {
  return scenario("redirect-" + std::to_string(status), 3s, [status](const ProviderCase&, bool, const std::string& origin) {
    // Item 7: the message names the status and the Location and says redirects are not followed.
    return fails_once({}, {{"redirect"}, {std::to_string(status)}, {origin + "/moved/elsewhere"}});
  });
}

// Item 6: invalid counts are a parse error (one policy for all providers), never a bill.
Scenario bad_usage(std::string name) {
  return scenario(std::move(name), 3s, [](const ProviderCase&, bool, const std::string&) { return fails_once({"parse"}); });
}

Scenario wrong_content(std::string name) {
  const bool null_content = name == "content-null";
  return scenario(std::move(name), 3s, [null_content](const ProviderCase& p, bool stream, const std::string&) {
    Expectation e = fails_once({"parse"});
    // Chat Completions deltas declare content nullable (a role-only or tool-call chunk), so a
    // stream of null deltas may also end as an empty answer; everywhere else null is the wrong type.
    if (null_content && stream && (p.label == "openai" || p.label == "deepseek")) e.empty_success_too = true;
    return e;
  });
}

}  // namespace

const std::vector<ProviderCase>& provider_cases() {
  static const std::vector<ProviderCase> cases = {
      {"openai", "openai", "gpt-4o-mini", {}, "/v1"},
      {"openai-responses", "openai", "gpt-4o-mini", {"--api", "responses"}, "/v1"},
      {"anthropic", "anthropic", "claude-haiku-4-5", {}, ""},
      {"gemini", "gemini", "gemini-2.5-flash", {}, ""},
      {"deepseek", "deepseek", "deepseek-chat", {}, ""},
      {"cohere", "cohere", "command-r-plus-08-2024", {}, ""},
  };
  return cases;
}

const std::vector<Scenario>& scenarios() {
  static const std::vector<Scenario> all = [] {
    std::vector<Scenario> s;
    s.push_back(scenario("ok", 3s, [](const ProviderCase&, bool, const std::string&) { return answer(); }));
    // Item 1: one deadline per call, every attempt and wait included.
    for (const char* name : {"silent", "trickle-head", "keepalive-only"}) {
      Scenario waiting = scenario(name, 2s, [](const ProviderCase&, bool, const std::string&) { return times_out(); });
      waiting.mostly_waiting = true;
      s.push_back(waiting);
    }
    // Item 2: a line or event past the limit (or a body past it) is a parse error naming the
    // limit's option. The JSON mode lowers the body limit so that the run stays short.
    for (const char* name : {"endless-line", "data-run"}) {
      Scenario endless = scenario(name, 3s, [](const ProviderCase&, bool stream, const std::string&) {
        return fails_once({"parse"}, {stream ? std::vector<std::string>{"max-event-bytes", "max_event_bytes"}
                                             : std::vector<std::string>{"max-body-bytes", "max_body_bytes"}});
      });
      endless.extra_args = [](bool stream) {
        return stream ? std::vector<std::string>{} : std::vector<std::string>{"--max-body-bytes", "4194304"};
      };
      s.push_back(endless);
    }
    // Issue 11: what one answer keeps for the whole call (tool-call arguments, continuation data)
    // is bounded by the body limit, in a stream as in a body: a parse error naming the option.
    Scenario flood = scenario("kept-flood", 5s, [](const ProviderCase&, bool stream, const std::string&) {
      Expectation e = fails_once({"parse"}, {{"max-body-bytes", "max_body_bytes"}});
      if (stream) e.message_has.push_back({"tool calls and continuation data"});
      return e;
    });
    flood.extra_args = [](bool) { return std::vector<std::string>{"--max-body-bytes", "1048576"}; };
    s.push_back(flood);
    // Item 4: the runner checks that no secret reaches any output; these only set the outcome.
    // The 500s are retried (3 attempts, 0.5 s and 1 s of backoff), hence the longer timeout.
    for (const bool via_proxy : {false, true}) {
      Scenario echo = scenario(via_proxy ? "proxy-echo" : "echo-credentials", 3s,
                               [](const ProviderCase&, bool, const std::string&) { return answer(); });
      Scenario echo_error = scenario(via_proxy ? "proxy-echo-error" : "echo-credentials-error", 4s,
                                     [](const ProviderCase&, bool, const std::string&) {
                                       Expectation e;
                                       e.kinds = {"server"};
                                       return e;
                                     });
      for (Scenario* each : {&echo, &echo_error}) {
        each->via_proxy = via_proxy;
        each->check_call_log = true;
        s.push_back(*each);
      }
    }
    // Item 5: the runner refuses control characters on stderr; the error itself is the provider's 400.
    s.push_back(scenario("ansi-error", 3s, [](const ProviderCase&, bool, const std::string&) { return fails_once({"bad_request"}); }));
    for (int status : {301, 302, 307}) s.push_back(redirect(status));
    // Item 7: an unrequested content encoding is a protocol error naming it.
    s.push_back(scenario("gzip", 3s, [](const ProviderCase&, bool, const std::string&) {
      return fails_once({"protocol"}, {{"gzip"}});
    }));
    for (const char* name : {"usage-negative", "usage-fraction", "usage-huge", "usage-int64-max"}) s.push_back(bad_usage(name));
    s.push_back(scenario("usage-cached-over-input", 3s, [](const ProviderCase& p, bool, const std::string&) {
      // Anthropic's input_tokens excludes cache reads (the host adds them), so 100 cached of 10
      // uncached input is a normal answer there.
      return p.label == "anthropic" ? answer() : fails_once({"parse"});
    }));
    for (const char* name : {"content-number", "content-object", "content-null"}) s.push_back(wrong_content(name));
    // Item 5: the runner checks that stdout stays valid UTF-8.
    s.push_back(scenario("bad-utf8-error", 3s, [](const ProviderCase&, bool, const std::string&) { return fails_once({"bad_request"}); }));
    s.push_back(scenario("bad-utf8-request-id", 3s, [](const ProviderCase&, bool, const std::string&) { return answer(); }));
    // Item 7: malformed framing is deterministic: kind protocol, one request.
    s.push_back(scenario("malformed-status", 3s, [](const ProviderCase&, bool, const std::string&) { return fails_once({"protocol"}); }));
    s.push_back(scenario("bad-chunk-size", 3s, [](const ProviderCase&, bool, const std::string&) { return fails_once({"protocol"}); }));
    return s;
  }();
  return all;
}

}  // namespace majordomo::hostile
