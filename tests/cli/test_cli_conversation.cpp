// The CLI's conversation flags and `majordomo chat` against the fake server: tools, --messages, images, reasoning, typed-in results.
#include "cli_fake_env.hpp"
#include "cli_run.hpp"

#include <catch2/catch.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/TemporaryFile.h>

#include <fstream>
#include <string>

using namespace majordomo::testing;

namespace {

const std::string kTools =
    R"([{"name":"get_weather","description":"The weather in a city","parameters":{"type":"object",)"
    R"("properties":{"city":{"type":"string"}},"required":["city"]}}])";

std::string write_file(Poco::TemporaryFile& file, const std::string& text) {
  std::ofstream out(file.path(), std::ios::binary);
  out << text;
  return file.path();
}

Poco::JSON::Object::Ptr last_body(const CliFakeEnv& env) {
  const auto requests = env.server.requests();
  REQUIRE_FALSE(requests.empty());
  return parse_cli_object(requests.back().body);
}

}  // namespace

TEST_CASE("ask --tools prints the call, and --output json lists it with parsed arguments", "[cli][tools]") {
  CliFakeEnv env("sk-cli-0000");
  Poco::TemporaryFile tools;
  const std::string tools_path = write_file(tools, kTools);
  for (const bool stream : {false, true}) {
    DYNAMIC_SECTION((stream ? "stream" : "json")) {
      const CliRun text = run_cli(env.ask(streamed_if(stream, {"--tools", tools_path, "Weather in Paris?"})));
      REQUIRE(text.exit_code == 0);
      CHECK_THAT(text.out, Catch::StartsWith("tool call get_weather [call_fake") && Catch::Contains(R"(: {"city":")"));
      const CliRun json = run_cli(env.ask(streamed_if(stream, {"--tools", tools_path, "--output", "json", "Weather?"})));
      REQUIRE(json.exit_code == 0);
      const auto answer = parse_cli_object(json.out);
      CHECK(answer->getValue<std::string>("stop_reason") == "tool_use");
      const auto calls = answer->getArray("tool_calls");
      REQUIRE(calls->size() == 1);
      CHECK(calls->getObject(0)->getValue<std::string>("name") == "get_weather");
      CHECK(calls->getObject(0)->getObject("arguments")->has("city"));  // a JSON value, not its text
      CHECK(calls->getObject(0)->isNull("problem"));
    }
  }
  SECTION("an answer without calls has an empty tool_calls") {
    const CliRun json = run_cli(env.ask({"--output", "json", "hi"}));
    REQUIRE(json.exit_code == 0);
    CHECK(parse_cli_object(json.out)->getArray("tool_calls")->size() == 0);
  }
}

TEST_CASE("ask --messages continues a conversation with a tool result, and the flags reach the body", "[cli][tools]") {
  CliFakeEnv env("sk-cli-0000");
  Poco::TemporaryFile tools, messages, image;
  const std::string tools_path = write_file(tools, kTools);
  const std::string messages_path = write_file(messages, R"([
    {"role":"system","content":"Be brief."},
    {"role":"user","content":"Weather in Paris?"},
    {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","name":"get_weather","arguments":{"city":"Paris"}}]},
    {"role":"tool","tool_call_id":"call_1","content":{"temp_c":21}}])");
  const CliRun run = run_cli(env.ask({"--messages", messages_path, "--tools", tools_path, "--tool-choice", "auto"}));
  REQUIRE(run.exit_code == 0);
  CHECK_FALSE(run.out.empty());
  const auto body = last_body(env);
  const auto sent = body->getArray("messages");
  REQUIRE(sent->size() == 4);
  CHECK(sent->getObject(0)->getValue<std::string>("role") == "system");
  CHECK(sent->getObject(2)->getArray("tool_calls")->getObject(0)->getObject("function")->getValue<std::string>("arguments") ==
        R"({"city":"Paris"})");
  CHECK(sent->getObject(3)->getValue<std::string>("content") == R"({"temp_c":21})");

  SECTION("an image file, a reasoning effort and a named tool choice") {
    const std::string image_path = image.path() + ".png";
    { std::ofstream out(image_path, std::ios::binary); out << "\x89PNG\r\n\x1a\n"; }
    const CliRun again = run_cli({"ask", "--provider", "openai", "--model", "gpt-5", "--base-url",
                                  env.server.origin() + "/v1", "--api-key", "sk-cli-0000", "--tools", tools_path,
                                  "--tool-choice", "get_weather", "--reasoning-effort", "high", "--image", image_path,
                                  "--dry-run", "--output", "json", "What is this?"});
    std::remove(image_path.c_str());
    REQUIRE(again.exit_code == 0);
    const auto dry = parse_cli_object(parse_cli_object(again.out)->getObject("dry_run")->getValue<std::string>("body"));
    CHECK(dry->getValue<std::string>("reasoning_effort") == "high");
    CHECK(dry->getObject("tool_choice")->getObject("function")->getValue<std::string>("name") == "get_weather");
    const auto content = dry->getArray("messages")->getObject(0)->getArray("content");
    REQUIRE(content->size() == 2);
    CHECK_THAT(content->getObject(1)->getObject("image_url")->getValue<std::string>("url"),
               Catch::StartsWith("data:image/png;base64,iVBORw0KGgo"));
  }
}

TEST_CASE("the conversation flags refuse bad input before sending, naming the remedy", "[cli][tools]") {
  CliFakeEnv env("sk-cli-0000");
  Poco::TemporaryFile file;
  struct Row { std::vector<std::string> args; std::string content; const char* message; };
  const Row rows[] = {
      {{"--tool-choice", "required", "hi"}, "", "--tool-choice needs --tools"},
      {{"--tools", "FILE", "hi"}, "{}", "must be a JSON array of tools"},
      {{"--tools", "FILE", "hi"}, "[{\"name\":\"a b\"}]", "the name must be 1-64"},
      {{"--messages", "FILE"}, "[{\"role\":\"robot\"}]", "\"role\" must be system, user, assistant or tool"},
      {{"--messages", "FILE"}, "[{\"role\":\"tool\",\"tool_call_id\":\"x\",\"content\":\"1\"}]", "no assistant message"},
      {{"--image", "/nonexistent/picture.png", "hi"}, "", "--image /nonexistent/picture.png: cannot open the file"},
      {{"--image", "picture.tiff", "hi"}, "", "give an https:// URL, or a .png"},
      {{"--thinking", "lots", "hi"}, "", "--thinking takes off, on or a positive number"},
      {{"--reasoning-effort", "extreme", "hi"}, "", "--reasoning-effort takes minimal, low, medium, high or max"},
      {{}, "", "ask needs a PROMPT (or --messages FILE)"},
  };
  for (const Row& row : rows) {
    DYNAMIC_SECTION(row.message) {
      std::vector<std::string> args = row.args;
      for (auto& arg : args) {
        if (arg == "FILE") arg = write_file(file, row.content);
      }
      const CliRun run = run_cli(env.ask(args));
      CHECK(run.exit_code == 2);
      CHECK_THAT(run.err, Catch::Contains(row.message));
      CHECK(env.server.requests().empty());
    }
  }
}

TEST_CASE("chat streams answers, keeps history, takes /system, /image and /reset, and asks for tool results", "[cli][chat]") {
  CliFakeEnv env("sk-cli-0000");
  Poco::TemporaryFile tools;
  const std::string tools_path = write_file(tools, kTools);
  const std::vector<std::string> route = {"chat", "--provider", "openai", "--model", "gpt-4o", "--base-url",
                                          env.server.origin() + "/v1", "--api-key", "sk-cli-0000"};
  SECTION("two turns and a reset") {
    const CliRun run = run_program_with_input(MAJORDOMO_CLI, route, {}, "/system Be brief.\nhello\nand again\n/reset\nfresh\n");
    REQUIRE(run.exit_code == 0);
    CHECK_THAT(run.err, Catch::Contains("system prompt set") && Catch::Contains("conversation reset"));
    const auto requests = env.server.requests();
    REQUIRE(requests.size() == 3);
    const auto second = parse_cli_object(requests[1].body)->getArray("messages");
    REQUIRE(second->size() == 4);  // system, hello, the answer, and again
    CHECK(second->getObject(0)->getValue<std::string>("content") == "Be brief.");
    CHECK(second->getObject(2)->getValue<std::string>("role") == "assistant");
    CHECK(parse_cli_object(requests[2].body)->getArray("messages")->size() == 2);  // system and fresh
  }
  SECTION("a tool call's result is read from the next line") {
    std::vector<std::string> args = route;
    args.insert(args.end(), {"--tools", tools_path});
    const CliRun run = run_program_with_input(MAJORDOMO_CLI, args, {}, "Weather in Paris?\n{\"temp_c\":21}\n");
    REQUIRE(run.exit_code == 0);
    CHECK_THAT(run.out, Catch::StartsWith("tool call get_weather [call_fake"));
    const auto requests = env.server.requests();
    REQUIRE(requests.size() == 2);
    const auto sent = parse_cli_object(requests[1].body)->getArray("messages");
    REQUIRE(sent->size() == 3);
    CHECK(sent->getObject(2)->getValue<std::string>("role") == "tool");
    CHECK(sent->getObject(2)->getValue<std::string>("content") == R"({"temp_c":21})");
  }
  SECTION("a failed turn is reported and the conversation goes on") {
    env.push_error(400, R"({"error":{"message":"boom","type":"invalid_request_error"}})");  // not retried
    const CliRun run = run_program_with_input(MAJORDOMO_CLI, route, {}, "first\nsecond\n");
    REQUIRE(run.exit_code == 0);
    CHECK_THAT(run.err, Catch::Contains("bad_request error") && Catch::Contains("boom"));
    const auto requests = env.server.requests();
    REQUIRE(requests.size() == 2);
    CHECK(parse_cli_object(requests.back().body)->getArray("messages")->size() == 1);  // the failed turn forgotten
  }
  SECTION("chat refuses a PROMPT and ask-only flags") {
    std::vector<std::string> args = route;
    args.push_back("a prompt");
    const CliRun run = run_program_with_input(MAJORDOMO_CLI, args, {}, "");
    CHECK(run.exit_code == 2);
    CHECK_THAT(run.err, Catch::Contains("give no PROMPT"));
  }
}
