// Tool calls on every provider that takes them: recorded fixtures, a two-turn loop through LLM, Cascade and Logging.
#include "logging_test_env.hpp"
#include "plugin_dirs.hpp"
#include "tool_call_table.hpp"

#include <majordomo/logging.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace majordomo;
using namespace majordomo::testing;

TEST_CASE("every tool-call fixture decodes to the calls it records, in order", "[tools]") {
  for (const ToolRow& row : tool_rows()) {
    for (const ToolFixture& fixture : row.fixtures) {
      DYNAMIC_SECTION(row.provider.name << " " << fixture.file << (fixture.stream ? " stream" : " json")) {
        ProviderTestEnv env;
        const auto llm = row.provider.llm(env);
        env.push_fixture(fixture.file);
        LLMRequest request = weather_request();
        StreamedCalls seen;
        const Response answer = fixture.stream ? drain_answer(llm->stream(request), &seen) : llm->complete(request);
        REQUIRE(answer.tool_calls.size() == fixture.calls.size());
        for (std::size_t i = 0; i < fixture.calls.size(); ++i) {
          const ToolCall& call = answer.tool_calls[i];
          CHECK(call.id == fixture.calls[i].id);
          CHECK(call.name == fixture.calls[i].name);
          const bool cut_off = fixture.problem == ToolCallProblem::cut_off;
          if (cut_off) {
            CHECK(call.arguments == fixture.calls[i].arguments_json);  // as received: not JSON
          } else {
            CHECK(JsonValue::parse(call.arguments) == JsonValue::parse(fixture.calls[i].arguments_json));
          }
          // Not in the request's tools, or not as its schema says: reported, never dropped.
          CHECK(call.problem == fixture.problem.value_or(call.name == "get_weather" ? ToolCallProblem::none
                                                                                    : ToolCallProblem::unknown_tool));
          if (fixture.stream) {
            REQUIRE(i < seen.arguments.size());
            CHECK(seen.arguments[i] == call.arguments);  // the pieces add up to the call
            CHECK(seen.ended[i] == !cut_off);  // a call the cap cut never ends
          }
        }
        CHECK(answer.stop_reason == fixture.stop);
        CHECK(answer.content == fixture.text);
      }
    }
  }
}

TEST_CASE("a two-turn tool loop runs through LLM, Cascade and Logging, JSON and stream", "[tools]") {
  for (const ToolRow& row : tool_rows()) {
    for (const bool stream : {false, true}) {
      for (const std::string wrapper : {"llm", "cascade", "logging"}) {
        DYNAMIC_SECTION(row.provider.name << (stream ? " stream " : " json ") << wrapper) {
          ProviderTestEnv env;
          TempDir dir;
          std::shared_ptr<LLM> llm = row.provider.llm(env);
          std::shared_ptr<LoggingLLM> logger;
          if (wrapper == "cascade") {
            // The first member refuses connections: the call fails over to the row's provider.
            llm = env.host.get_cascade({dead_member(row.provider), live_member(row.provider, env)},
                                       ProviderTestEnv::single_attempt());
          } else if (wrapper == "logging") {
            LoggingOptions options;
            options.target = "sqlite:" + (dir.path / "calls.db").string();
            options.overflow = LogOverflow::block;
            logger = std::make_shared<LoggingLLM>(llm, options);
            llm = logger;
          }
          LLMRequest request = weather_request();
          const Response first = ask_answer(*llm, request, stream);
          REQUIRE(first.tool_calls.size() == 1);
          const ToolCall& call = first.tool_calls[0];
          CHECK(call.name == "get_weather");
          CHECK(call.problem == ToolCallProblem::none);
          CHECK(JsonValue::parse(call.arguments).find("city") != nullptr);
          CHECK(first.stop_reason == StopReason::tool_use);

          request.messages.push_back(Message::assistant(first));
          request.messages.push_back(Message::tool_result(call, R"({"temp_c":21})"));
          const Response second = ask_answer(*llm, request, stream);
          CHECK_FALSE(second.content.empty());
          CHECK(second.tool_calls.empty());
          CHECK(second.stop_reason != StopReason::tool_use);

          const auto recorded = env.server.requests();
          REQUIRE(recorded.size() == 2);
          row.check_tools_request(parse_object(recorded[0].body));
          row.check_result_request(parse_object(recorded[1].body), call);
          if (logger) {
            logger->close();
            CHECK(logger->stats().written == 2);
            // In call order: the call, then the answer after the result.
            const auto rows = read_log("sqlite:" + (dir.path / "calls.db").string(), 2);
            REQUIRE(rows.size() == 2);
            CHECK(rows[0].tool_calls == fmt::format(R"([{{"id":{},"name":"get_weather","problem":null,"arguments_bytes":{}}}])",
                                                    json_quoted(call.id), call.arguments.size()));
            CHECK(rows[0].request_extras == R"({"tools":["get_weather"],"tool_choice":"auto"})");
            CHECK(rows[1].tool_calls == "[]");
          }
        }
      }
    }
  }
}

TEST_CASE("the call log keeps an image's type, size and hash, never its bytes", "[tools][logging]") {
  ProviderTestEnv env;
  TempDir dir;
  LoggingOptions options;
  options.target = "sqlite:" + (dir.path / "calls.db").string();
  options.bodies_dir = dir.path / "bodies";
  options.overflow = LogOverflow::block;
  const auto logger = std::make_shared<LoggingLLM>(env.openai(), options);
  const std::string image = "\x89PNG\r\n\x1a\n the image's own bytes, which must stay out of every log";
  LLMRequest request;
  request.messages.push_back(Message::user("What is in this picture?"));
  request.messages.back().parts.push_back(ContentPart::image_from_bytes(image, "image/png"));
  request.messages.back().parts.push_back(ContentPart::image_from_url("https://example.com/cat.png"));
  request.options.prompt_cache = false;
  const Response answer = logger->complete(request);
  // The request went out with the bytes; the record shows a placeholder.
  const auto recorded = env.server.requests();
  REQUIRE(recorded.size() == 1);
  CHECK_THAT(recorded[0].body, Catch::Contains("data:image/png;base64,"));
  REQUIRE_FALSE(answer.records.empty());
  CHECK_THAT(answer.records.back().request->body, Catch::Contains("[image omitted: ") &&
                                                     !Catch::Contains("data:image/png;base64,iVBOR"));
  logger->close();
  const auto rows = read_log(options.target, 1);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].request_extras ==
        fmt::format(R"({{"images":[{{"media_type":"image/png","bytes":{},"sha256":"{}"}},{{"url":"https://example.com/cat.png"}}],"prompt_cache":false}})",
                    image.size(), sha256_hex(image)));
  for (const auto& entry : std::filesystem::directory_iterator(*options.bodies_dir)) {
    CHECK_THAT(read_text(entry.path()), !Catch::Contains("iVBOR"));  // base64 of the PNG signature
  }
}

TEST_CASE("a tool request is refused before sending when the plugin or the model cannot take it", "[tools]") {
  ProviderTestEnv env;
  SECTION("a plugin that declares no tool support is refused with unsupported, and still serves plain requests") {
    // The test echo plugin declares no MJ_FEATURE_*: every bundled provider now takes tools.
    Host host(only_plugin_dirs({MAJORDOMO_TEST_GOOD_PLUGIN_DIR}));
    ClientOptions options;
    options.api_key = "echo-key-0000";
    const auto echo = host.get_llm_instance("echo", "echo-1", options);
    const auto error = thrown_by<UnsupportedError>([&] { (void)echo->complete(weather_request()); });
    CHECK_THAT(error.what(), Catch::Contains("does not take tools"));
    CHECK(echo->get_response("plain").content == "plain");
  }
  SECTION("images to a plugin that takes none (DeepSeek) are refused naming it") {
    LLMRequest request;
    request.messages.push_back(Message::user("What is this?"));
    request.messages.back().parts.push_back(ContentPart::image_from_bytes("\x89PNG", "image/png"));
    const auto error = thrown_by<UnsupportedError>([&] { (void)env.deepseek()->complete(request); });
    CHECK_THAT(error.what(), Catch::Contains("deepseek plugin") && Catch::Contains("does not take images"));
    CHECK(env.server.requests().empty());
  }
  SECTION("reasoning controls on a model whose catalog entry lacks reasoning are refused naming the model") {
    LLMRequest request = LLMRequest::from_prompt("hi");
    request.options.reasoning_effort = ReasoningEffort::high;
    const auto error = thrown_by<UnsupportedError>(
        [&] { (void)env.provider_llm("openai", "gpt-4o-mini", env.openai_options())->complete(request); });
    CHECK_THAT(error.what(), Catch::Contains("model 'gpt-4o-mini'") && Catch::Contains("reasoning"));
    CHECK(env.server.requests().empty());
  }
}

TEST_CASE("a malformed conversation is refused before sending, naming the message and the remedy", "[tools]") {
  ProviderTestEnv env;
  const auto llm = env.openai();
  LLMRequest request = weather_request();
  ToolCall made{"call_1", "get_weather", R"({"city":"Paris"})", ToolCallProblem::none, {}};
  SECTION("a tool result with no call before it") {
    request.messages.push_back(Message::tool_result(made, "21"));
    const auto error = thrown_by<ConfigurationError>([&] { (void)llm->complete(request); });
    CHECK_THAT(error.what(), Catch::Contains("message 1") && Catch::Contains("no assistant message"));
  }
  SECTION("a tool result for a call the assistant did not make") {
    Message assistant;
    assistant.role = Message::Role::assistant;
    assistant.tool_calls.push_back(made);
    request.messages.push_back(assistant);
    ToolCall other = made;
    other.id = "call_2";
    request.messages.push_back(Message::tool_result(other, "21"));
    const auto error = thrown_by<ConfigurationError>([&] { (void)llm->complete(request); });
    CHECK_THAT(error.what(), Catch::Contains("message 2") && Catch::Contains("call_2"));
  }
  SECTION("arguments in the history that are not a JSON object") {
    Message assistant;
    assistant.role = Message::Role::assistant;
    made.arguments = "[1,2]";
    assistant.tool_calls.push_back(made);
    request.messages.push_back(assistant);
    const auto error = thrown_by<ConfigurationError>([&] { (void)llm->complete(request); });
    CHECK_THAT(error.what(), Catch::Contains("not one JSON object"));
  }
  SECTION("a system message after the conversation started") {
    request.messages.push_back(Message::system("late"));
    const auto error = thrown_by<ConfigurationError>([&] { (void)llm->complete(request); });
    CHECK_THAT(error.what(), Catch::Contains("system message after the conversation started"));
  }
  SECTION("tools named twice, a bad name, an unusable schema, a tool_choice naming no tool") {
    SECTION("twice") { request.tools.push_back(weather_tool()); }
    SECTION("bad name") { request.tools[0].name = "get weather"; }
    SECTION("schema") { request.tools[0].parameters_json = R"({"type":"object","properties":{"a":{"$ref":"#/nowhere"}}})"; }
    SECTION("choice") { request.tool_choice = ToolChoice::tool("nope"); }
    (void)thrown_by<ConfigurationError>([&] { (void)llm->complete(request); });
  }
  SECTION("an image that is neither a known type nor a URL") {
    request.messages[0].parts.push_back(ContentPart::image_from_bytes("x", "image/tiff"));
    const auto error = thrown_by<ConfigurationError>([&] { (void)llm->complete(request); });
    CHECK_THAT(error.what(), Catch::Contains("image/tiff"));
  }
  CHECK(env.server.requests().empty());
}

TEST_CASE("arguments that are not JSON, miss the schema or name no tool are reported on the call", "[tools]") {
  ProviderTestEnv env;
  const auto llm = env.openai();
  const auto answer_with = [&](std::string_view name, std::string_view arguments, std::string_view finish) {
    fake::ScriptedResponse response;
    response.content_type = "application/json";
    response.body = fmt::format(
        R"({{"id":"c","object":"chat.completion","model":"gpt-4o","choices":[{{"index":0,"message":{{"role":"assistant",)"
        R"("content":null,"tool_calls":[{{"id":"call_9","type":"function","function":{{"name":{},"arguments":{}}}}}]}},)"
        R"("finish_reason":{}}}],"usage":{{"prompt_tokens":5,"completion_tokens":5,"total_tokens":10}}}})",
        json_quoted(name), json_quoted(arguments), json_quoted(finish));
    env.server.push_response(response);
    return llm->complete(weather_request());
  };
  SECTION("not JSON") {
    const Response answer = answer_with("get_weather", "{\"city\":", "tool_calls");
    CHECK(answer.tool_calls.at(0).problem == ToolCallProblem::unparsable);
    CHECK(answer.tool_calls.at(0).arguments == "{\"city\":");
  }
  SECTION("cut off by the output cap") {
    const Response answer = answer_with("get_weather", "{\"city\":\"Par", "length");
    CHECK(answer.tool_calls.at(0).problem == ToolCallProblem::cut_off);
    CHECK(answer.stop_reason == StopReason::max_tokens);
    CHECK_THAT(answer.tool_calls.at(0).problem_detail, Catch::Contains("max_tokens"));
    // The call can be answered: the history carries it with {}, and the request goes out.
    LLMRequest next = weather_request();
    next.messages.push_back(Message::assistant(answer));
    CHECK(next.messages.back().tool_calls.at(0).arguments == "{}");
    next.messages.push_back(Message::tool_result(answer.tool_calls[0], "cut off: raise max_tokens", true));
    env.server.push_response(openai_answer("Sorry, retrying."));
    CHECK(llm->complete(next).content == "Sorry, retrying.");
  }
  SECTION("against the schema") {
    const Response answer = answer_with("get_weather", R"({"unit":"k"})", "tool_calls");
    CHECK(answer.tool_calls.at(0).problem == ToolCallProblem::schema_mismatch);
    CHECK_THAT(answer.tool_calls.at(0).problem_detail, Catch::Contains("city"));
  }
  SECTION("a tool the request did not list") {
    const Response answer = answer_with("launch", "{}", "tool_calls");
    CHECK(answer.tool_calls.at(0).problem == ToolCallProblem::unknown_tool);
  }
  SECTION("empty arguments are an empty object") {
    const Response answer = answer_with("get_weather", "", "tool_calls");
    CHECK(answer.tool_calls.at(0).arguments == "{}");
    CHECK(answer.tool_calls.at(0).problem == ToolCallProblem::schema_mismatch);  // city is required
  }
}

TEST_CASE("a stream cut by the output cap inside a call's arguments reports the call as cut off", "[tools][stream]") {
  ProviderTestEnv env;
  const auto llm = env.openai();
  fake::ScriptedResponse response;
  response.content_type = "text/event-stream";
  const auto chunk = [](std::string_view delta, std::string_view finish) {
    return fmt::format(R"(data: {{"id":"c","object":"chat.completion.chunk","model":"gpt-4o","choices":[{{"index":0,"delta":{},"finish_reason":{}}}]}})"
                       "\n\n",
                       delta, finish);
  };
  response.body = chunk(R"({"role":"assistant","content":null,"tool_calls":[{"index":3,"id":"call_a","type":"function","function":{"name":"get_weather","arguments":""}}]})", "null") +
                  chunk(R"({"tool_calls":[{"index":3,"function":{"arguments":"{\"city\":\"Pa"}}]})", "null") +
                  chunk("{}", R"("length")") + "data: [DONE]\n\n";
  env.server.push_response(response);
  StreamedCalls seen;
  const Response answer = drain_answer(llm->stream(weather_request()), &seen);
  REQUIRE(answer.tool_calls.size() == 1);
  CHECK(answer.tool_calls[0].id == "call_a");  // the server's index 3 is call 0
  CHECK(answer.tool_calls[0].problem == ToolCallProblem::cut_off);
  CHECK(answer.tool_calls[0].arguments == "{\"city\":\"Pa");
  CHECK_FALSE(seen.ended.at(0));
  CHECK(answer.stop_reason == StopReason::max_tokens);
}

TEST_CASE("a stream cut by the output cap before any argument reports the call as cut off", "[tools][stream]") {
  ProviderTestEnv env;
  fake::ScriptedResponse response;
  response.content_type = "text/event-stream";
  response.body =
      R"(data: {"id":"c","object":"chat.completion.chunk","model":"gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_b","type":"function","function":{"name":"get_weather","arguments":""}}]},"finish_reason":null}]})"
      "\n\n"
      R"(data: {"id":"c","object":"chat.completion.chunk","model":"gpt-4o","choices":[{"index":0,"delta":{},"finish_reason":"length"}]})"
      "\n\ndata: [DONE]\n\n";
  env.server.push_response(response);
  const Response answer = drain_answer(env.openai()->stream(weather_request()));
  REQUIRE(answer.tool_calls.size() == 1);
  CHECK(answer.tool_calls[0].problem == ToolCallProblem::cut_off);  // not an empty object that looks whole
}

TEST_CASE("a stream that continues a call it never named is a parse error", "[tools][stream]") {
  ProviderTestEnv env;
  fake::ScriptedResponse response;
  response.content_type = "text/event-stream";
  response.body =
      R"(data: {"id":"c","object":"chat.completion.chunk","model":"gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{}"}}]},"finish_reason":null}]})"
      "\n\ndata: [DONE]\n\n";
  env.server.push_response(response);
  (void)thrown_by<ParseError>([&] { (void)drain_answer(env.openai()->stream(weather_request())); });
}

TEST_CASE("a stream that reuses a call's index for another call is a parse error, not one merged call", "[tools][stream]") {
  ProviderTestEnv env;
  const auto chunk = [](std::string_view id, std::string_view arguments) {
    return fmt::format(R"(data: {{"id":"c","object":"chat.completion.chunk","model":"gpt-4o","choices":[{{"index":0,"delta":{{"tool_calls":[{{"index":0,"id":"{}","type":"function","function":{{"name":"get_weather","arguments":{}}}}}]}},"finish_reason":null}}]}})"
                       "\n\n",
                       id, json_quoted(arguments));
  };
  fake::ScriptedResponse response;
  response.content_type = "text/event-stream";
  response.body = chunk("call_a", R"({"city":"A"})") + chunk("call_b", R"({"city":"B"})") + "data: [DONE]\n\n";
  env.server.push_response(response);
  const auto error = thrown_by<ParseError>([&] { (void)drain_answer(env.openai()->stream(weather_request())); });
  CHECK_THAT(error.what(), Catch::Contains("reused tool call index 0"));
}

TEST_CASE("an Anthropic tool_use whose input is not an object is reported, never an empty call", "[tools][anthropic]") {
  ProviderTestEnv env;
  fake::ScriptedResponse response;
  response.content_type = "application/json";
  response.body =
      R"({"id":"msg_1","type":"message","role":"assistant","model":"claude-haiku-4-5","content":[)"
      R"({"type":"tool_use","id":"toolu_1","name":"get_weather","input":"Paris"}],"stop_reason":"tool_use",)"
      R"("usage":{"input_tokens":5,"output_tokens":5}})";
  env.server.push_response(response);
  const Response answer = env.anthropic()->complete(weather_request());
  REQUIRE(answer.tool_calls.size() == 1);
  CHECK(answer.tool_calls[0].arguments == R"("Paris")");
  CHECK(answer.tool_calls[0].problem == ToolCallProblem::unparsable);
}
