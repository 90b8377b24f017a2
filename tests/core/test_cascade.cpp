// CascadeLLM over loopback: the fail-over matrix (kind × JSON, stream before/after the first chunk,
// structured), per-member resolution through one gateway, and the all-failed error.
#include "provider_test_env.hpp"
#include "response_plan.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace majordomo;
using majordomo::testing::ProviderTestEnv;
using majordomo::testing::drain;
using majordomo::testing::parse_object;

namespace {

const std::string kTitleSchema =
    R"({"type":"object","properties":{"title":{"type":"string"}},"required":["title"]})";
// OpenAI's strict mode cannot express an object without "properties", so its plugin refuses this
// schema before sending (unsupported); Cohere takes it.
const std::string kLooseSchema =
    R"({"type":"object","properties":{"title":{"type":"string"},"extra":{"type":"object"}},"required":["title"]})";

enum class Mode { json, stream_before_first_chunk, stream_after_first_chunk, structured };

std::string_view to_string(Mode mode) {
  switch (mode) {
    case Mode::json: return "JSON";
    case Mode::stream_before_first_chunk: return "stream before the first chunk";
    case Mode::stream_after_first_chunk: return "stream after the first chunk";
    case Mode::structured: return "structured";
  }
  return "?";
}

// A member as the matrix knows it: what it is and what the fake must have received from it.
struct Member {
  std::string provider, model, key, path, auth_header, auth_value;
};

const Member kAnthropic{"anthropic", "claude-haiku-4-5", "sk-ant-test-0000", "/gw/v1/messages", "x-api-key",
                        "sk-ant-test-0000"};
const Member kOpenAI{"openai", "gpt-4o", "sk-test-0000", "/gw/chat/completions", "Authorization",
                     "Bearer sk-test-0000"};
const Member kCohere{"cohere", "command-a-03-2025", "co-test-0000", "/gw/v2/chat", "Authorization",
                     "Bearer co-test-0000"};

std::string read_fixture(const std::string& relative) {
  std::ifstream in(std::string(MAJORDOMO_TEST_FIXTURES) + "/" + relative, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The events of Anthropic's recorded stream before its first text delta, or through it.
std::string anthropic_stream_start(bool with_first_text) {
  const std::string fixture = read_fixture("anthropic/message_stream.sse");
  std::size_t begin = 0;
  for (const std::size_t end : fake::sse_event_ends(fixture)) {
    if (fixture.substr(begin, end - begin).find("text_delta") != std::string::npos) {
      return fixture.substr(0, with_first_text ? end : begin);
    }
    begin = end;
  }
  FAIL("the fixture has no text delta");
  return {};
}

std::string anthropic_first_text() {
  const std::string events = anthropic_stream_start(true);
  const auto at = events.rfind(R"("text":")") + 8;
  return events.substr(at, events.find('"', at) - at);
}

fake::ScriptedResponse scripted(int status, std::string body, std::string path_contains) {
  return ProviderTestEnv::scripted_status(status, std::move(body), std::move(path_contains));
}

fake::ScriptedResponse sse(std::string body, std::string path_contains) {
  fake::ScriptedResponse response;
  response.content_type = "text/event-stream";
  response.body = std::move(body);
  response.path_contains = std::move(path_contains);
  return response;
}

std::string anthropic_error(std::string_view type) {
  return fmt::format(R"({{"type":"error","error":{{"type":"{}","message":"scripted {}"}}}})", type, type);
}

std::string openai_error(std::string_view type) {
  return fmt::format(R"({{"error":{{"message":"scripted {}","type":"{}","param":null,"code":null}}}})", type, type);
}

// An OpenAI chat completion whose answer text is `content` (no quotes or backslashes in it).
fake::ScriptedResponse scripted_openai_answer(std::string_view content) {
  return scripted(200,
                  fmt::format(R"({{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o",)"
                              R"("choices":[{{"index":0,"message":{{"role":"assistant","content":"{}"}},)"
                              R"("finish_reason":"stop"}}],"usage":{{"prompt_tokens":5,"completion_tokens":5,)"
                              R"("total_tokens":10}}}})",
                              content),
                  "/chat/completions");
}

struct Case {
  ErrorKind kind;
  bool fails_over;
};

// Whether the first member can fail with `kind` in this mode.
bool applies(ErrorKind kind, Mode mode) {
  switch (kind) {
    case ErrorKind::parse:
    case ErrorKind::schema_mismatch: return mode == Mode::structured;  // checks of the answer
    case ErrorKind::unsupported: return mode != Mode::stream_after_first_chunk;  // refused before sending
    default: return true;
  }
}

// Makes the first member fail with `kind` (applies(kind, mode) holds).
void script_first_member(ProviderTestEnv& env, ErrorKind kind, Mode mode, LLMRequest& request) {
  if (kind == ErrorKind::configuration) {
    request.options.extra_headers.set("Bad Header", "x");  // refused before anything is sent
    return;
  }
  if (kind == ErrorKind::unsupported) return;  // the first member is OpenAI, which refuses kLooseSchema
  if (mode == Mode::structured) {
    const auto http = [&](int status, std::string_view type) {
      env.server.push_response(scripted(status, openai_error(type), "/chat/completions"));
    };
    switch (kind) {
      case ErrorKind::rate_limited: http(429, "rate_limit_exceeded"); return;
      case ErrorKind::overloaded: http(503, "server_error"); return;
      case ErrorKind::server: http(500, "server_error"); return;
      case ErrorKind::timeout: http(504, "server_error"); return;
      case ErrorKind::bad_request: http(400, "invalid_request_error"); return;
      case ErrorKind::authentication: http(401, "invalid_api_key"); return;
      case ErrorKind::connection: {
        fake::ScriptedResponse cut;
        cut.fixture = "openai/chat_completion.json";
        cut.cut_after = 10;
        cut.path_contains = "/chat/completions";
        env.server.push_response(cut);
        return;
      }
      case ErrorKind::parse: env.server.push_response(scripted_openai_answer("this is not JSON")); return;
      case ErrorKind::schema_mismatch: env.server.push_response(scripted_openai_answer(R"({\"city\":\"Paris\"})")); return;
      default: FAIL("no script for this kind"); return;
    }
  }
  // JSON and streams: the first member is Anthropic.
  const char* type = nullptr;
  int status = 0;
  switch (kind) {
    case ErrorKind::rate_limited: type = "rate_limit_error"; status = 429; break;
    case ErrorKind::overloaded: type = "overloaded_error"; status = 529; break;
    case ErrorKind::server: type = "api_error"; status = 500; break;
    case ErrorKind::timeout: type = "timeout_error"; status = 504; break;
    case ErrorKind::bad_request: type = "invalid_request_error"; status = 400; break;
    case ErrorKind::authentication: type = "authentication_error"; status = 401; break;
    case ErrorKind::connection: break;
    default: FAIL("no script for this kind"); return;
  }
  if (mode == Mode::json) {
    if (kind == ErrorKind::connection) {
      fake::ScriptedResponse cut;
      cut.fixture = "anthropic/message.json";
      cut.cut_after = 10;
      cut.path_contains = "/v1/messages";
      env.server.push_response(cut);
    } else {
      env.server.push_response(scripted(status, anthropic_error(type), "/v1/messages"));
    }
    return;
  }
  // Streams: HTTP 200, then the error as an event (or the body ends without message_stop).
  std::string body = anthropic_stream_start(mode == Mode::stream_after_first_chunk);
  if (kind != ErrorKind::connection) body += fmt::format("event: error\ndata: {}\n\n", anthropic_error(type));
  env.server.push_response(sse(std::move(body), "/v1/messages"));
}

void check_member_request(const fake::RecordedRequest& request, const Member& member) {
  INFO("member " << member.provider);
  CHECK(request.uri == member.path);
  CHECK(ProviderTestEnv::only_header(request, member.auth_header) == member.auth_value);
  CHECK(parse_object(request.body)->getValue<std::string>("model") == member.model);
  // The shared default header and the per-request header reach every member unchanged.
  CHECK(ProviderTestEnv::only_header(request, "X-Team") == "core");
  CHECK(ProviderTestEnv::only_header(request, "X-Majordomo-Trace") == "trace-1");
}

}  // namespace

TEST_CASE("the fail-over matrix: each kind in JSON, stream and structured calls through one gateway",
          "[cascade]") {
  const Case cases[] = {
      {ErrorKind::rate_limited, true}, {ErrorKind::overloaded, true},      {ErrorKind::server, true},
      {ErrorKind::timeout, true},      {ErrorKind::connection, true},      {ErrorKind::unsupported, true},
      {ErrorKind::parse, true},        {ErrorKind::schema_mismatch, true}, {ErrorKind::configuration, false},
      {ErrorKind::bad_request, false}, {ErrorKind::authentication, false},
  };
  for (const Mode mode : {Mode::json, Mode::stream_before_first_chunk, Mode::stream_after_first_chunk,
                          Mode::structured}) {
    for (const Case& c : cases) {
      if (!applies(c.kind, mode)) continue;
      DYNAMIC_SECTION(to_string(mode) << ": " << majordomo::to_string(c.kind)) {
        ProviderTestEnv env;
        LLMRequest request = LLMRequest::from_prompt("Name a book.");
        script_first_member(env, c.kind, mode, request);
        const bool unsupported = c.kind == ErrorKind::unsupported;
        const Member& first = unsupported || mode == Mode::structured ? kOpenAI : kAnthropic;
        const Member& second = unsupported || mode == Mode::structured ? kCohere : kOpenAI;
        if (mode == Mode::structured || unsupported) {
          request.format = ResponseFormat::json_schema;
          request.schema_json = unsupported ? kLooseSchema : kTitleSchema;
          request.schema_name = "Book";
        }
        if (mode == Mode::structured) {
          fake::ScriptedResponse book;
          book.fixture = "cohere/structured_output.json";
          book.path_contains = "/v2/chat";
          env.server.push_response(book);
        }
        ClientOptions shared;
        shared.base_url = env.server.origin() + "/gw";
        shared.default_headers.set("X-Team", "core");
        shared.retry.max_attempts = 1;  // the cascade alone: retries are tested apart
        std::vector<CascadeMember> members(2);
        members[0].provider = first.provider;
        members[0].model = first.model;
        members[0].api_key = first.key;
        members[1].provider = second.provider;
        members[1].model = second.model;
        members[1].api_key = second.key;
        const auto cascade = env.host.get_cascade(members, shared);
        request.options.extra_headers.set("X-Majordomo-Trace", "trace-1");

        std::optional<Response> served;
        std::optional<ErrorDetails> failed;
        std::string streamed;
        try {
          if (mode == Mode::json) {
            served = cascade->complete(request);
          } else if (mode == Mode::structured) {
            served = cascade->complete_checked(request, [&](Response response) {
                                return JsonSchema(kTitleSchema).check(std::move(response));
                              }).response;
          } else {
            ResponseStream stream = cascade->stream(request);
            StreamChunk chunk;
            while (stream.next(chunk)) {
              if (chunk.kind == StreamChunk::Kind::text) streamed.append(chunk.text);
            }
            served = stream.response();
          }
        } catch (const Error& error) {
          failed = error.details();
        }

        const auto requests = env.server.requests();
        if (mode == Mode::stream_after_first_chunk && c.kind != ErrorKind::configuration) {
          // The caller already holds part of the first answer: the stream ends with its typed error.
          REQUIRE(failed);
          CHECK(failed->kind == c.kind);
          CHECK(failed->provider == first.provider);
          CHECK(failed->partial_content == anthropic_first_text());
          CHECK(streamed == anthropic_first_text());
          CHECK(failed->failed_attempts.empty());
          REQUIRE(requests.size() == 1);
          check_member_request(requests[0], first);
        } else if (c.fails_over) {
          REQUIRE(served);
          CHECK(served->served_by == second.provider + ":" + second.model);
          CHECK_FALSE(served->content.empty());
          if (mode != Mode::json && mode != Mode::structured) CHECK(streamed == served->content);
          REQUIRE(served->failed_attempts.size() == 1);
          const FailedAttempt& attempt = served->failed_attempts[0];
          CHECK(attempt.kind == c.kind);
          CHECK(attempt.provider == first.provider);
          CHECK(attempt.model == first.model);
          CHECK_FALSE(attempt.message.empty());
          // Nothing was sent for a request the first member refused to build.
          REQUIRE(requests.size() == (unsupported ? 1u : 2u));
          if (!unsupported) check_member_request(requests[0], first);
          check_member_request(requests.back(), second);
        } else {
          REQUIRE(failed);
          CHECK(failed->kind == c.kind);
          CHECK(failed->failed_attempts.empty());
          // The second member is never asked: it would fail the same way.
          CHECK(requests.size() == (c.kind == ErrorKind::configuration ? 0u : 1u));
          if (!requests.empty()) check_member_request(requests[0], first);
        }
        CHECK(env.server.pending_responses() == (mode == Mode::structured && !served ? 1u : 0u));
      }
    }
  }
}

TEST_CASE("when every member fails, the error is the last one's and lists each member's error", "[cascade]") {
  ProviderTestEnv env;
  ClientOptions shared;
  shared.base_url = env.server.origin() + "/gw";
  shared.retry.max_attempts = 1;
  std::vector<CascadeMember> members = parse_cascade_members(
      "anthropic:claude-haiku-4-5, openai:gpt-4o ,cohere:command-a-03-2025");
  members[0].api_key = kAnthropic.key;
  members[1].api_key = kOpenAI.key;
  members[2].api_key = kCohere.key;
  const auto cascade = env.host.get_cascade(members, shared);
  CHECK(cascade->provider() == "cascade");
  CHECK(cascade->model() == "anthropic:claude-haiku-4-5,openai:gpt-4o,cohere:command-a-03-2025");

  for (const bool stream : {false, true}) {
    DYNAMIC_SECTION((stream ? "stream" : "complete")) {
      env.server.push_response(scripted(529, anthropic_error("overloaded_error"), "/v1/messages"));
      env.server.push_response(scripted(500, openai_error("server_error"), "/chat/completions"));
      env.server.push_response(scripted(429, R"({"id":"x","message":"You are past the per minute limit"})", "/v2/chat"));
      try {
        if (stream) {
          ResponseStream answer = cascade->get_response_stream("hi");
          drain(answer);
        } else {
          (void)cascade->get_response("hi");
        }
        FAIL("no error");
      } catch (const RateLimitedError& error) {
        CHECK(error.provider() == "cohere");
        CHECK(error.http_status() == 429);
        CHECK_THAT(error.what(), Catch::StartsWith("all 3 cascade members failed: "));
        CHECK_THAT(error.what(), Catch::Contains("anthropic:claude-haiku-4-5: overloaded (HTTP 529)"));
        CHECK_THAT(error.what(), Catch::Contains("openai:gpt-4o: server (HTTP 500)"));
        CHECK_THAT(error.what(), Catch::Contains("cohere:command-a-03-2025: rate_limited (HTTP 429)"));
        const auto& history = error.details().failed_attempts;
        REQUIRE(history.size() == 2);
        CHECK(history[0].provider == "anthropic");
        CHECK(history[0].kind == ErrorKind::overloaded);
        CHECK(history[0].http_status == 529);
        CHECK(history[1].provider == "openai");
        CHECK(history[1].kind == ErrorKind::server);
      }
      CHECK(env.server.requests().size() == 3);
    }
  }
}

TEST_CASE("each member resolves its own URL, key and headers, and a dry run lists every member", "[cascade]") {
  ProviderTestEnv env;
  ClientOptions shared;
  shared.default_headers.set("X-Team", "core");
  std::vector<CascadeMember> members = parse_cascade_members("openai:gpt-4o,anthropic:claude-haiku-4-5");
  members[0].base_url = env.server.origin() + "/eu/v1";
  members[0].api_key = kOpenAI.key;
  members[0].default_headers.set("X-Team", "openai-team");
  members[1].base_url = env.server.origin() + "/us";
  members[1].api_key = kAnthropic.key;
  const auto cascade = env.host.get_cascade(members, shared);

  LLMRequest request = LLMRequest::from_prompt("hi");
  request.options.extra_headers.set("X-Majordomo-Trace", "trace-1");
  const auto resolved = cascade->resolve(request, true);
  REQUIRE(resolved.size() == 2);
  CHECK(resolved[0].url == env.server.origin() + "/eu/v1/chat/completions");
  CHECK(resolved[1].url == env.server.origin() + "/us/v1/messages");
  CHECK(*resolved[0].headers.find("X-Team") == "openai-team");
  CHECK(*resolved[1].headers.find("X-Team") == "core");
  CHECK(*resolved[0].headers.find("Authorization") == "Bearer sk-test-0000");
  CHECK_FALSE(resolved[1].headers.contains("Authorization"));
  CHECK(*resolved[1].headers.find("x-api-key") == "sk-ant-test-0000");
  for (const auto& entry : resolved) CHECK(*entry.headers.find("X-Majordomo-Trace") == "trace-1");
  CHECK(parse_object(resolved[0].body)->getValue<std::string>("model") == "gpt-4o");
  CHECK(parse_object(resolved[1].body)->getValue<std::string>("model") == "claude-haiku-4-5");
  CHECK(env.server.requests().empty());

  SECTION("a member that cannot build the request is left out of the dry run") {
    std::vector<CascadeMember> loose = parse_cascade_members("openai:gpt-4o,cohere:command-a-03-2025");
    loose[0].api_key = kOpenAI.key;
    loose[1].api_key = kCohere.key;
    request.format = ResponseFormat::json_schema;
    request.schema_json = kLooseSchema;
    request.schema_name = "Book";
    const auto structured = env.host.get_cascade(loose)->resolve(request, false);
    REQUIRE(structured.size() == 1);
    CHECK(structured[0].provider == "cohere");
  }
}

TEST_CASE("cascade configuration errors name the member and are raised before anything is sent", "[cascade]") {
  ProviderTestEnv env;
  std::vector<CascadeMember> members = parse_cascade_members("openai:gpt-4o,anthropic:claude-haiku-4-5");
  members[0].api_key = kOpenAI.key;
  members[1].api_key = kAnthropic.key;
  members[1].default_headers.set("Bad Name", "x");
  try {
    (void)env.host.get_cascade(members);
    FAIL("no error");
  } catch (const ConfigurationError& error) {
    CHECK_THAT(error.what(), Catch::StartsWith("cascade member 2 (anthropic:claude-haiku-4-5): "));
  }
  CHECK_THROWS_AS(env.host.get_cascade({}), ConfigurationError);
  CHECK_THROWS_WITH(parse_cascade_members("openai:gpt-4o,anthropic"),
                    Catch::Contains("cascade member 'anthropic' is not PROVIDER:MODEL"));
  CHECK_THROWS_AS(parse_cascade_members(":gpt-4o"), ConfigurationError);
  CHECK(parse_cascade_members("openai:ft:gpt-4o:org:1")[0].model == "ft:gpt-4o:org:1");
  CHECK(env.server.requests().empty());
}

TEST_CASE("a cascade nests: the inner member that answered is named, failures of both levels listed",
          "[cascade]") {
  ProviderTestEnv env;
  const auto inner = std::make_shared<CascadeLLM>(
      std::vector<std::shared_ptr<LLM>>{env.anthropic(), env.openai()});
  const auto outer = std::make_shared<CascadeLLM>(std::vector<std::shared_ptr<LLM>>{inner, env.cohere()});
  env.server.push_response(scripted(529, anthropic_error("overloaded_error"), "/v1/messages"));
  const Response response = outer->get_response("hi");
  CHECK(response.served_by == "openai:gpt-4o");
  REQUIRE(response.failed_attempts.size() == 1);
  CHECK(response.failed_attempts[0].provider == "anthropic");
  CHECK(env.server.requests().size() == 2);
}

TEST_CASE("one cascade shared by 8 threads fails over exactly as often as a member failed", "[cascade][threads]") {
  ProviderTestEnv env;
  const auto cascade = std::make_shared<CascadeLLM>(
      std::vector<std::shared_ptr<LLM>>{env.anthropic(), env.openai()});
  constexpr int kThreads = 8, kCalls = 10, kFailures = 20;
  for (int i = 0; i < kFailures; ++i) {
    env.server.push_response(scripted(529, anthropic_error("overloaded_error"), "/v1/messages"));
  }
  std::atomic<int> failovers{0}, answers{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCalls; ++i) {
        if ((t + i) % 2 == 0) {
          const Response response = cascade->get_response("hi");
          failovers += static_cast<int>(response.failed_attempts.size());
          if (!response.content.empty()) ++answers;
        } else {
          ResponseStream stream = cascade->get_response_stream("hi");
          if (!drain(stream).empty()) ++answers;
          failovers += static_cast<int>(stream.response().failed_attempts.size());
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(answers == kThreads * kCalls);
  CHECK(failovers == kFailures);
  CHECK(env.server.requests().size() == static_cast<std::size_t>(kThreads * kCalls + kFailures));
  CHECK(env.server.pending_responses() == 0);
}

TEST_CASE("the JSON conveniences on a cascade fail over on an answer that fails its check", "[cascade][structured]") {
  ProviderTestEnv env;
  const auto cascade = std::make_shared<CascadeLLM>(
      std::vector<std::shared_ptr<LLM>>{env.openai(), env.cohere()});
  fake::ScriptedResponse book;
  book.fixture = "cohere/structured_output.json";
  book.path_contains = "/v2/chat";

  SECTION("get_json_schema_response: a mismatch") {
    env.server.push_response(scripted_openai_answer(R"({\"city\":\"Paris\"})"));
    env.server.push_response(book);
    const JsonResponse answer = cascade->get_json_schema_response("Name a book.", kTitleSchema, "Book");
    CHECK(answer.response.served_by == "cohere:command-a-03-2025");
    CHECK(answer.value.at("title").as_string() == "The Great Gatsby");
    REQUIRE(answer.response.failed_attempts.size() == 1);
    CHECK(answer.response.failed_attempts[0].kind == ErrorKind::schema_mismatch);
  }
  SECTION("get_json_response: not JSON") {
    env.server.push_response(scripted_openai_answer("no JSON here"));
    env.server.push_response(book);
    const JsonResponse answer = cascade->get_json_response("Name a book as JSON.");
    CHECK(answer.response.served_by == "cohere:command-a-03-2025");
    REQUIRE(answer.response.failed_attempts.size() == 1);
    CHECK(answer.response.failed_attempts[0].kind == ErrorKind::parse);
  }
  SECTION("plain text is not checked: no fail-over") {
    env.server.push_response(scripted_openai_answer("no JSON here"));
    CHECK(cascade->get_response("hi").served_by == "openai:gpt-4o");
    CHECK(env.server.requests().size() == 1);
  }
}

TEST_CASE("a shared key is not handed to the endpoints of several providers", "[cascade]") {
  ProviderTestEnv env;
  ClientOptions shared;
  shared.api_key = "sk-only-for-openai-0000";
  SECTION("direct to two providers: refused before anything is sent, naming the remedy") {
    try {
      (void)env.host.get_cascade(parse_cascade_members("openai:gpt-4o,anthropic:claude-haiku-4-5"), shared);
      FAIL("no error");
    } catch (const ConfigurationError& error) {
      CHECK_THAT(error.what(), Catch::Contains("(openai, anthropic)") && Catch::Contains("ANTHROPIC_API_KEY") &&
                               !Catch::Contains("sk-only-for-openai"));
    }
  }
  SECTION("through one gateway, or with each member's own key, it is accepted") {
    ClientOptions gateway = shared;
    gateway.base_url = env.server.origin() + "/gw";
    CHECK(env.host.get_cascade(parse_cascade_members("openai:gpt-4o,anthropic:claude-haiku-4-5"), gateway));
    auto members = parse_cascade_members("openai:gpt-4o,anthropic:claude-haiku-4-5");
    members[1].api_key = "sk-ant-own-0000";
    CHECK(env.host.get_cascade(members, shared));
    CHECK(env.host.get_cascade(parse_cascade_members("openai:gpt-4o,openai:gpt-4o-mini"), shared));
  }
  CHECK(env.server.requests().empty());
}
