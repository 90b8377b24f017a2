// A tool loop that changes provider or model half-way: fail-over across providers, host-made call ids, Gemini 3's placeholder signature.
#include "plugin_dirs.hpp"
#include "tool_call_table.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace majordomo;
using namespace majordomo::testing;

namespace {

const ToolRow& tool_row(std::string_view name) {
  for (const ToolRow& row : tool_rows()) {
    if (row.provider.name == name) return row;
  }
  FAIL("no tool row " << name);
  throw std::logic_error("unreachable");
}

// The history after `first`: its call answered.
void answer_call(LLMRequest& request, const Response& first) {
  REQUIRE(first.tool_calls.size() == 1);
  request.messages.push_back(Message::assistant(first));
  request.messages.push_back(Message::tool_result(first.tool_calls[0], R"({"temp_c":21})"));
}

constexpr const char* kPlaceholder = "skip_thought_signature_validator";

}  // namespace

TEST_CASE("a call one provider made is answered through another after a fail-over, JSON and stream",
          "[tools][cascade]") {
  for (const ToolRow& made_by : tool_rows()) {
    for (const ToolRow& answered_by : tool_rows()) {
      if (answered_by.provider.id == made_by.provider.id) continue;  // the same provider keeps its own data
      for (const bool stream : {false, true}) {
        DYNAMIC_SECTION(made_by.provider.name << " to " << answered_by.provider.name << (stream ? " stream" : " json")) {
          ProviderTestEnv env;
          LLMRequest request = weather_request();
          const Response first = ask_answer(*made_by.provider.llm(env), request, stream);
          answer_call(request, first);
          // The conversation's own provider is down; the cascade's second member takes over.
          const auto cascade = env.host.get_cascade(
              {dead_member(made_by.provider), live_member(answered_by.provider, env)}, ProviderTestEnv::single_attempt());
          const Response second = ask_answer(*cascade, request, stream);
          CHECK(second.provider == answered_by.provider.id);
          CHECK_FALSE(second.content.empty());
          CHECK(second.tool_calls.empty());

          const auto recorded = env.server.requests();
          REQUIRE(recorded.size() == 2);
          // A call without an id (Gemini's) is sent with one the host made, the same on its result.
          ToolCall sent = first.tool_calls[0];
          if (sent.id.empty()) sent.id = "mj_call_1_0";
          const auto body = parse_object(recorded[1].body);
          const auto& check = answered_by.check_foreign_result_request ? answered_by.check_foreign_result_request
                                                                       : answered_by.check_result_request;
          check(body, sent);
        }
      }
    }
  }
}

TEST_CASE("Gemini 3 gets the documented placeholder for calls that come without a signature", "[tools][gemini]") {
  ProviderTestEnv env;
  ProviderRow gemini3 = tool_row("gemini").provider;
  gemini3.model = "gemini-3-flash-preview";
  LLMRequest request = weather_request();

  SECTION("a call another provider made") {
    answer_call(request, tool_row("anthropic").provider.llm(env)->complete(request));
    (void)gemini3.llm(env)->complete(request);
    const auto recorded = env.server.requests();
    REQUIRE(recorded.size() == 2);
    check_gemini_result_shape(parse_object(recorded[1].body), request.messages[1].tool_calls[0],
                              Catch::Equals(kPlaceholder));
  }
  SECTION("a call another Gemini model made: its signatures stay with it, the ids stay empty") {
    const Response first = tool_row("gemini").provider.llm(env)->complete(request);
    REQUIRE(first.continuation.model == "gemini-2.5-flash");
    REQUIRE_FALSE(first.continuation.empty());
    answer_call(request, first);
    (void)gemini3.llm(env)->complete(request);
    const auto recorded = env.server.requests();
    REQUIRE(recorded.size() == 2);
    check_gemini_result_shape(parse_object(recorded[1].body), first.tool_calls[0], Catch::Equals(kPlaceholder));
  }
  SECTION("a call the same model made keeps its own signature") {
    const Response first = gemini3.llm(env)->complete(request);
    answer_call(request, first);
    (void)gemini3.llm(env)->complete(request);
    const auto recorded = env.server.requests();
    REQUIRE(recorded.size() == 2);
    check_gemini_result_request(parse_object(recorded[1].body), first.tool_calls[0]);
  }
}

TEST_CASE("results without call ids answer a tool's calls in order, and no call twice", "[tools]") {
  ProviderTestEnv env;
  LLMRequest request = weather_request();
  Message made;
  made.role = Message::Role::assistant;
  made.tool_calls.push_back(ToolCall{"", "get_weather", R"({"city":"Paris"})", ToolCallProblem::none, {}});
  made.tool_calls.push_back(ToolCall{"", "get_weather", R"({"city":"Rome"})", ToolCallProblem::none, {}});
  request.messages.push_back(made);
  request.messages.push_back(Message::tool_result(made.tool_calls[0], "21"));
  request.messages.push_back(Message::tool_result(made.tool_calls[1], "25"));
  const auto llm = env.openai();

  SECTION("each result pairs with the next unanswered call of its name") {
    (void)llm->complete(request);
    const auto recorded = env.server.requests();
    REQUIRE(recorded.size() == 1);
    const auto messages = parse_object(recorded[0].body)->getArray("messages");
    REQUIRE(messages->size() == 4);
    const auto calls = messages->getObject(1)->getArray("tool_calls");
    REQUIRE(calls->size() == 2);
    CHECK(calls->getObject(0)->getValue<std::string>("id") == "mj_call_1_0");
    CHECK(calls->getObject(1)->getValue<std::string>("id") == "mj_call_1_1");
    CHECK(messages->getObject(2)->getValue<std::string>("tool_call_id") == "mj_call_1_0");
    CHECK(messages->getObject(2)->getValue<std::string>("content") == "21");
    CHECK(messages->getObject(3)->getValue<std::string>("tool_call_id") == "mj_call_1_1");
    CHECK(messages->getObject(3)->getValue<std::string>("content") == "25");
  }
  SECTION("sent to Gemini, which pairs them by order, the calls and results keep no id") {
    (void)env.gemini()->complete(request);
    const auto recorded = env.server.requests();
    REQUIRE(recorded.size() == 1);
    const auto contents = parse_object(recorded[0].body)->getArray("contents");
    REQUIRE(contents->size() == 3);
    const auto calls = contents->getObject(1)->getArray("parts");
    REQUIRE(calls->size() == 2);
    CHECK_FALSE(calls->getObject(0)->getObject("functionCall")->has("id"));
    const auto results = contents->getObject(2)->getArray("parts");
    REQUIRE(results->size() == 2);
    CHECK_FALSE(results->getObject(1)->getObject("functionResponse")->has("id"));
  }
  SECTION("a third result for two calls is refused before sending") {
    request.messages.push_back(Message::tool_result(made.tool_calls[0], "22"));
    const auto error = thrown_by<ConfigurationError>([&] { (void)llm->complete(request); });
    CHECK_THAT(error.what(), Catch::Contains("message 4") && Catch::Contains("get_weather"));
    CHECK(env.server.requests().empty());
  }
}

TEST_CASE("a result answers a call of the assistant message right before it, and each call once", "[tools]") {
  ProviderTestEnv env;
  const auto llm = env.openai();
  LLMRequest request = weather_request();
  Message made;
  made.role = Message::Role::assistant;
  made.tool_calls.push_back(ToolCall{"call_1", "get_weather", R"({"city":"Paris"})", ToolCallProblem::none, {}});
  request.messages.push_back(made);
  request.messages.push_back(Message::tool_result(made.tool_calls[0], "21"));
  SECTION("the same call answered twice") {
    request.messages.push_back(Message::tool_result(made.tool_calls[0], "22"));
    const auto error = thrown_by<ConfigurationError>([&] { (void)llm->complete(request); });
    CHECK_THAT(error.what(), Catch::Contains("message 3") && Catch::Contains("a second time"));
  }
  SECTION("a result after the conversation moved on") {
    request.messages.push_back(Message::user("And tomorrow?"));
    request.messages.push_back(Message::tool_result(made.tool_calls[0], "22"));
    const auto error = thrown_by<ConfigurationError>([&] { (void)llm->complete(request); });
    CHECK_THAT(error.what(), Catch::Contains("message 4") && Catch::Contains("no assistant message"));
  }
  CHECK(env.server.requests().empty());
}
