// The `majordomo` CLI contract: ask (text, stream, json output, dry run, errors), plugins, models.
#include "cli_fake_env.hpp"
#include "cli_run.hpp"
#include "fake_server.hpp"

#include <catch2/catch.hpp>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <Poco/StreamCopier.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

using namespace majordomo::fake;

namespace {

constexpr const char* kKey = "sk-cli-secret-1234";

using RunResult = majordomo::testing::CliRun;
using majordomo::testing::run_cli;
using majordomo::testing::streamed_if;

Poco::JSON::Object::Ptr parse_object(const std::string& text) {
  return majordomo::testing::parse_cli_object(text);
}

// The OpenAI route of the fake server, asked with the key and both feature headers.
struct CliEnv : majordomo::testing::CliFakeEnv {
  CliEnv() : CliFakeEnv(kKey, majordomo::testing::kFeatureHeaderOptions) {}
};

int count_header(const majordomo::fake::RecordedRequest& request, const std::string& lower_name,
                 std::string* value) {
  int count = 0;
  for (const auto& header : request.headers) {
    std::string name = header.name;
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name == lower_name) {
      ++count;
      *value = header.value;
    }
  }
  return count;
}

}  // namespace

TEST_CASE("ask prints the answer, the server saw one per-request header next to the bearer key", "[cli]") {
  CliEnv env;
  for (const bool stream : {false, true}) {
    SECTION(stream ? "stream" : "json") {
      const RunResult result = run_cli(env.ask(streamed_if(stream, {"What is the weather?"})));
      INFO(result.err);
      REQUIRE(result.exit_code == 0);
      CHECK(result.out == (stream ? "I'm unable to provide real-time weather updates. To get the current "
                                    "weather in San Francisco, I recommend checking a reliable weather "
                                    "website or a weather app.\n"
                                  : "Hello! How can I assist you today?\n"));
      const auto requests = env.server.requests();
      REQUIRE(requests.size() == 1);
      std::string value;
      CHECK(count_header(requests[0], "x-majordomo-feature", &value) == 1);
      CHECK(value == "request");
      CHECK(count_header(requests[0], "authorization", &value) == 1);
      CHECK(value == std::string("Bearer ") + kKey);
      CHECK(result.err.find(kKey) == std::string::npos);
    }
  }
}

TEST_CASE("a dry run prints the resolved request with the key redacted and sends nothing", "[cli]") {
  CliEnv env;
  const RunResult text = run_cli(env.ask({"--dry-run", "Hello"}));
  REQUIRE(text.exit_code == 0);
  CHECK_THAT(text.out, Catch::StartsWith("POST " + env.server.origin() + "/v1/chat/completions\n"));
  CHECK_THAT(text.out, Catch::Contains("Authorization: Bearer [REDACTED]\n"));
  CHECK_THAT(text.out, Catch::Contains("x-majordomo-feature: request\n"));
  CHECK_THAT(text.out, !Catch::Contains("X-Majordomo-Feature: instance"));
  CHECK_THAT(text.out, Catch::Contains(R"("model":"gpt-4o")"));
  CHECK(text.out.find(kKey) == std::string::npos);

  const RunResult json = run_cli(env.ask({"--dry-run", "--stream", "--output", "json", "Hello"}));
  REQUIRE(json.exit_code == 0);
  const auto dry = parse_object(json.out)->getObject("dry_run");
  CHECK(dry->getValue<std::string>("url") == env.server.origin() + "/v1/chat/completions");
  CHECK(dry->getValue<bool>("stream"));
  CHECK(json.out.find(kKey) == std::string::npos);
  CHECK(env.server.requests().empty());
}

TEST_CASE("JSON output prints exactly one object of the documented shape", "[cli]") {
  CliEnv env;
  const RunResult result = run_cli(env.ask({"--output", "json", "Hello"}));
  REQUIRE(result.exit_code == 0);
  CHECK(result.out.find('\n') == result.out.size() - 1);
  const auto object = parse_object(result.out);
  CHECK(object->getValue<std::string>("content") == "Hello! How can I assist you today?");
  CHECK(object->getValue<std::string>("provider") == "openai");
  CHECK(object->getValue<std::string>("model") == "gpt-5.4");
  CHECK(object->getValue<std::string>("stop_reason") == "end_turn");
  const auto usage = object->getObject("usage");
  CHECK(usage->getValue<int>("input_tokens") == 19);
  CHECK(usage->getValue<int>("output_tokens") == 10);
  CHECK(usage->getValue<int>("cached_tokens") == 0);
  const auto cost = object->getObject("cost");
  for (const char* key : {"input", "output", "total"}) CHECK(cost->has(key));
  CHECK(object->getValue<double>("response_time_s") >= 0);
}

TEST_CASE("failures: non-zero exit, a human message on stderr, the error object on stdout", "[cli]") {
  CliEnv env;
  SECTION("429 from the provider") {
    env.push_fixture("openai/error_429.json");
    const RunResult result = run_cli(env.ask({"--output", "json", "Hello"}));
    CHECK(result.exit_code == 1);
    CHECK_THAT(result.err, Catch::Contains("rate_limited"));
    const auto error = parse_object(result.out)->getObject("error");
    CHECK(error->getValue<std::string>("kind") == "rate_limited");
    CHECK(error->getValue<int>("http_status") == 429);
    CHECK(error->getValue<std::string>("provider") == "openai");
    CHECK_THAT(error->getValue<std::string>("message"), Catch::Contains("Rate limit reached"));
  }
  SECTION("--fail-on-truncation turns an answer cut at the output cap into kind truncated") {
    env.push_fixture("openai/chat_completion_length.json");
    const RunResult whole = run_cli(env.ask({"--output", "json", "Hello"}));
    CHECK(whole.exit_code == 0);
    CHECK(parse_object(whole.out)->getValue<std::string>("stop_reason") == "max_tokens");
    env.push_fixture("openai/chat_completion_length.json");
    const RunResult cut = run_cli(env.ask({"--fail-on-truncation", "--output", "json", "Hello"}));
    CHECK(cut.exit_code == 1);
    const auto object = parse_object(cut.out);
    CHECK(object->getObject("error")->getValue<std::string>("kind") == "truncated");
    CHECK(object->getValue<std::string>("partial_content") == parse_object(whole.out)->getValue<std::string>("content"));
  }
  SECTION("a stream that fails after some text reports the partial content") {
    majordomo::fake::ScriptedResponse response;
    response.fixture = "openai/chat_completion_stream.sse";
    response.cut_after = 1500;
    env.server.push_response(response);
    const RunResult result = run_cli(env.ask({"--stream", "--output", "json", "Hello"}));
    CHECK(result.exit_code == 1);
    const auto object = parse_object(result.out);
    CHECK(object->getObject("error")->getValue<std::string>("kind") == "connection");
    CHECK_THAT(object->getValue<std::string>("partial_content"), Catch::StartsWith("I'm unable"));
  }
  SECTION("--json with an answer that is not JSON is a parse error keeping the text") {
    env.push_fixture("openai/chat_completion.json");
    const RunResult result = run_cli(env.ask({"--json", "--output", "json", "Hello"}));
    CHECK(result.exit_code == 1);
    const auto object = parse_object(result.out);
    CHECK(object->getObject("error")->getValue<std::string>("kind") == "parse");
    CHECK(object->getValue<std::string>("partial_content") == "Hello! How can I assist you today?");
  }
  SECTION("--json with a JSON answer prints the JSON text") {
    env.push_fixture("openai/structured_output.json");
    const RunResult result = run_cli(env.ask({"--json", "--output", "json", "Hello"}));
    REQUIRE(result.exit_code == 0);
    CHECK(parse_object(result.out)->getValue<std::string>("content") ==
          R"({"city":"San Francisco","temperature":65,"units":"f"})");
  }
  SECTION("an invalid header is a configuration error and nothing is sent") {
    const RunResult result = run_cli(env.ask({"--request-header", "Bad Name: x", "--output", "json", "Hello"}));
    CHECK(result.exit_code == 2);
    CHECK(parse_object(result.out)->getObject("error")->getValue<std::string>("kind") == "configuration");
    CHECK(env.server.requests().empty());
  }
  SECTION("no API key anywhere names the env var") {
    const RunResult result = run_cli({"ask", "--provider", "openai", "--model", "gpt-4o", "--base-url",
                                      env.server.origin() + "/v1", "Hello"});
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err, Catch::Contains("OPENAI_API_KEY"));
  }
  SECTION("usage errors exit 2 with the usage text") {
    const RunResult result = run_cli({"ask", "--provider", "openai", "Hello"});
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err, Catch::Contains("ask needs --model"));
  }
}

// A schema file in a directory of its own, removed at the end of the test.
struct SchemaFile {
  std::filesystem::path dir;
  std::filesystem::path path;
  SchemaFile(const std::string& file_name, const std::string& text)
      : dir(std::filesystem::temp_directory_path() /
            ("majordomo-cli-schema-" + std::to_string(::getpid()) + "-" + file_name)),
        path(dir / file_name) {
    std::filesystem::create_directories(dir);
    std::ofstream(path) << text;
  }
  ~SchemaFile() {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
};

constexpr const char* kLocationSchema =
    R"({"type":"object","properties":{"city":{"type":"string"},"temperature":{"type":"number"}},)"
    R"("required":["city","temperature"]})";

TEST_CASE("ask --schema checks the answer against the schema file", "[cli][schema]") {
  CliEnv env;
  SECTION("a matching answer prints the JSON; the name comes from the file stem") {
    const SchemaFile schema("weather report.schema.json", kLocationSchema);
    env.push_fixture("openai/structured_output.json");
    const RunResult result = run_cli(env.ask({"--schema", schema.path.string(), "--output", "json", "Weather?"}));
    REQUIRE(result.exit_code == 0);
    const auto object = parse_object(result.out);
    CHECK(parse_object(object->getValue<std::string>("content"))->getValue<std::string>("city") == "San Francisco");
    const auto requests = env.server.requests();
    REQUIRE(requests.size() == 1);
    CHECK_THAT(requests[0].body, Catch::Contains(R"("json_schema":{"name":"weather_report_schema")"));
    // Sent made strict for OpenAI (sdk/schema_dialects.hpp): the object closed.
    CHECK_THAT(requests[0].body, Catch::Contains(R"("schema":{"type":"object","properties":{"city":{"type":"string"},)"
                                                 R"("temperature":{"type":"number"}},"required":["city","temperature"],)"
                                                 R"("additionalProperties":false})"));
  }
  SECTION("streamed, checked at the end, with an explicit name") {
    const SchemaFile schema("location.json", kLocationSchema);
    env.push_fixture("openai/stream_n3_choices.sse");
    const RunResult result = run_cli(
        env.ask({"--schema", schema.path.string(), "--schema-name", "Loc", "--stream", "Weather?"}));
    REQUIRE(result.exit_code == 0);
    CHECK_THAT(result.out, Catch::Contains("San Francisco"));
    CHECK_THAT(env.server.requests().at(0).body, Catch::Contains(R"("name":"Loc")"));
  }
  SECTION("a mismatching answer exits 1 with kind schema_mismatch and the raw text") {
    const SchemaFile schema("humid.json",
                            R"({"type":"object","properties":{"humidity":{"type":"number"}},"required":["humidity"]})");
    env.push_fixture("openai/structured_output.json");
    const RunResult result = run_cli(env.ask({"--schema", schema.path.string(), "--output", "json", "Weather?"}));
    CHECK(result.exit_code == 1);
    const auto object = parse_object(result.out);
    CHECK(object->getObject("error")->getValue<std::string>("kind") == "schema_mismatch");
    CHECK_THAT(object->getObject("error")->getValue<std::string>("message"), Catch::Contains("humidity"));
    CHECK_THAT(object->getValue<std::string>("partial_content"), Catch::Contains("San Francisco"));
  }
  SECTION("an unreadable file or a bad name is a usage error and nothing is sent") {
    const RunResult missing = run_cli(env.ask({"--schema", "/nonexistent/majordomo/schema.json", "Weather?"}));
    CHECK(missing.exit_code == 2);
    CHECK_THAT(missing.err, Catch::Contains("--schema /nonexistent/majordomo/schema.json: cannot open"));
    const SchemaFile schema("ok.json", kLocationSchema);
    const RunResult bad_name = run_cli(env.ask({"--schema", schema.path.string(), "--schema-name", "a b", "Weather?"}));
    CHECK(bad_name.exit_code == 2);
    const SchemaFile not_schema("list.json", "[1,2]");
    const RunResult not_object = run_cli(env.ask({"--schema", not_schema.path.string(), "--output", "json", "Weather?"}));
    CHECK(not_object.exit_code == 2);
    CHECK(parse_object(not_object.out)->getObject("error")->getValue<std::string>("kind") == "configuration");
    CHECK(env.server.requests().empty());
  }
}

TEST_CASE("plugins lists openai and explains every skipped file", "[cli]") {
  const RunResult result = run_cli({"plugins", "--plugin-dir", MAJORDOMO_TEST_BAD_PLUGIN_DIR});
  REQUIRE(result.exit_code == 0);
  CHECK_THAT(result.out, Catch::Contains("openai"));
  CHECK_THAT(result.out, Catch::Contains("ABI out of range"));
  CHECK_THAT(result.out, Catch::Contains("this host speaks 1..1"));
  CHECK_THAT(result.out, Catch::Contains("not a plugin"));
  CHECK_THAT(result.out, Catch::Contains("truncated or corrupt ELF"));
  CHECK_THAT(result.out, Catch::Contains("duplicate provider id"));
  CHECK_THAT(result.out, Catch::Contains("invalid metadata"));

  const RunResult json = run_cli({"plugins", "--plugin-dir", MAJORDOMO_TEST_BAD_PLUGIN_DIR, "--output", "json"});
  REQUIRE(json.exit_code == 0);
  const auto object = parse_object(json.out);
  CHECK(object->getArray("plugins")->size() >= 1);
  CHECK(object->getArray("skipped")->size() == 6);
}

TEST_CASE("models lists the catalog with prices", "[cli]") {
  const RunResult result = run_cli({"models", "openai"});
  REQUIRE(result.exit_code == 0);
  CHECK_THAT(result.out, Catch::Contains("gpt-4o"));
  const RunResult json = run_cli({"models", "--output", "json"});
  REQUIRE(json.exit_code == 0);
  CHECK(parse_object(json.out)->getArray("models")->size() > 3);
  const RunResult unknown = run_cli({"models", "nosuch"});
  CHECK(unknown.exit_code == 2);
}

TEST_CASE("models shows the catalogs as of 2026-11-25", "[cli]") {
  // DeepSeek's current ids at the peak price; the ids retired on 2026-07-24 are gone.
  const RunResult deepseek = run_cli({"models", "deepseek"});
  REQUIRE(deepseek.exit_code == 0);
  CHECK_THAT(deepseek.out, Catch::Contains("deepseek-flash"));
  CHECK_THAT(deepseek.out, Catch::Contains("deepseek-v4-pro"));
  CHECK_THAT(deepseek.out, !Catch::Contains("deepseek-chat") && !Catch::Contains("deepseek-reasoner"));
  // GPT-6 rows carry a cache-write price in the JSON shape.
  const RunResult json = run_cli({"models", "openai", "--output", "json"});
  REQUIRE(json.exit_code == 0);
  const auto models = parse_object(json.out)->getArray("models");
  bool found = false;
  for (std::size_t i = 0; i < models->size(); ++i) {
    const auto model = models->getObject(static_cast<unsigned>(i));
    CHECK(model->getValue<std::string>("id") != "o4-mini");
    if (model->getValue<std::string>("id") != "gpt-6-sol") continue;
    found = true;
    CHECK(model->getValue<double>("cache_write_usd_per_mtok") == Approx(2.50));
    CHECK(model->getValue<double>("cached_input_usd_per_mtok") == Approx(0.20));
  }
  CHECK(found);
}

// --cascade and --alias: the fake serves both members through one gateway prefix.
std::vector<std::string> cascade_ask(const CliEnv& env, std::vector<std::string> extra) {
  std::vector<std::string> args = {"ask", "--cascade", "anthropic:claude-haiku-4-5,openai:gpt-4o",
                                   "--base-url", env.server.origin() + "/gw", "--api-key", kKey,
                                   "--header", "X-Team: core", "--request-header", "X-Majordomo-Trace: t-1"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

majordomo::fake::ScriptedResponse anthropic_failure(int status, const std::string& type) {
  majordomo::fake::ScriptedResponse response;
  response.status = status;
  response.body = R"({"type":"error","error":{"type":")" + type + R"(","message":"scripted"}})";
  response.path_contains = "/v1/messages";
  return response;
}

TEST_CASE("ask --cascade fails over and reports which member served", "[cli][cascade]") {
  CliEnv env;
  SECTION("the first member is overloaded: the second answers, both saw the same headers") {
    env.server.push_response(anthropic_failure(529, "overloaded_error"));
    const RunResult result = run_cli(cascade_ask(env, {"--output", "json", "Hello"}));
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    const auto object = parse_object(result.out);
    CHECK(object->getValue<std::string>("served_by") == "openai:gpt-4o");
    CHECK(object->getValue<std::string>("content") == "Hello! How can I assist you today?");
    CHECK(object->getValue<int>("attempts") == 1);
    const auto failed = object->getArray("failed_attempts");
    REQUIRE(failed->size() == 1);
    CHECK(failed->getObject(0)->getValue<std::string>("provider") == "anthropic");
    CHECK(failed->getObject(0)->getValue<std::string>("kind") == "overloaded");
    CHECK(failed->getObject(0)->getValue<int>("http_status") == 529);
    CHECK(object->get("alias").isEmpty());
    const auto requests = env.server.requests();
    REQUIRE(requests.size() == 2);
    CHECK(requests[0].uri == "/gw/v1/messages");
    CHECK(requests[1].uri == "/gw/chat/completions");
    for (const auto& request : requests) {
      std::string value;
      CHECK(count_header(request, "x-team", &value) == 1);
      CHECK(value == "core");
      CHECK(count_header(request, "x-majordomo-trace", &value) == 1);
      CHECK(value == "t-1");
    }
  }
  SECTION("streamed") {
    env.server.push_response(anthropic_failure(429, "rate_limit_error"));
    const RunResult result = run_cli(cascade_ask(env, {"--stream", "Hello"}));
    REQUIRE(result.exit_code == 0);
    CHECK_THAT(result.out, Catch::StartsWith("I'm unable to provide real-time weather updates."));
    CHECK_THAT(result.err, Catch::Contains(
        "note: anthropic:claude-haiku-4-5 failed (rate_limited, HTTP 429); moved on to the next member"));
  }
  SECTION("every member fails: exit 1, each member's error listed") {
    env.server.push_response(anthropic_failure(529, "overloaded_error"));
    majordomo::fake::ScriptedResponse limited;
    limited.fixture = "openai/error_429.json";
    env.server.push_response(limited);
    const RunResult result = run_cli(cascade_ask(env, {"--output", "json", "Hello"}));
    CHECK(result.exit_code == 1);
    const auto error = parse_object(result.out)->getObject("error");
    CHECK(error->getValue<std::string>("kind") == "rate_limited");
    CHECK_THAT(error->getValue<std::string>("message"), Catch::StartsWith("all 2 cascade members failed"));
    CHECK(error->getArray("failed_attempts")->size() == 1);
    CHECK(result.err.find(kKey) == std::string::npos);
  }
  SECTION("a dry run prints one request per member") {
    const RunResult result = run_cli(cascade_ask(env, {"--dry-run", "Hello"}));
    REQUIRE(result.exit_code == 0);
    CHECK_THAT(result.out, Catch::StartsWith("POST " + env.server.origin() + "/gw/v1/messages\n"));
    CHECK_THAT(result.out, Catch::Contains("POST " + env.server.origin() + "/gw/chat/completions\n"));
    CHECK(result.out.find(kKey) == std::string::npos);
    CHECK(env.server.requests().empty());
  }
  SECTION("usage and configuration errors exit 2 and send nothing") {
    CHECK(run_cli(cascade_ask(env, {"--provider", "openai", "Hello"})).exit_code == 2);
    const RunResult bad = run_cli({"ask", "--cascade", "openai", "--output", "json", "Hello"});
    CHECK(bad.exit_code == 2);
    CHECK(parse_object(bad.out)->getObject("error")->getValue<std::string>("kind") == "configuration");
    CHECK_THAT(bad.err, Catch::Contains("is not PROVIDER:MODEL"));
    // One --api-key for members of two providers and no gateway: one provider's key would reach
    // the other's endpoint. Refused, naming the env vars to use instead, the key never shown.
    const RunResult shared_key = run_cli({"ask", "--cascade", "anthropic:claude-haiku-4-5,openai:gpt-4o",
                                          "--api-key", kKey, "--output", "json", "Hello"});
    CHECK(shared_key.exit_code == 2);
    CHECK(parse_object(shared_key.out)->getObject("error")->getValue<std::string>("kind") == "configuration");
    CHECK_THAT(shared_key.err, Catch::Contains("ANTHROPIC_API_KEY, OPENAI_API_KEY"));
    CHECK(shared_key.err.find(kKey) == std::string::npos);
    CHECK(shared_key.out.find(kKey) == std::string::npos);
    CHECK(env.server.requests().empty());
  }
}

TEST_CASE("ask --alias uses a catalog file's alias, and deprecated ids warn", "[cli][catalog]") {
  CliEnv env;
  const SchemaFile catalog("catalog.json", R"({
    "aliases": {"fast": "openai:gpt-4-0314", "safe": ["anthropic:claude-haiku-4-5", "openai:gpt-4o"]},
    "deprecated": {"openai": {"gpt-4-0314": "gpt-4o"}}})");
  const std::vector<std::string> common = {"ask", "--catalog", catalog.path.string(), "--base-url",
                                           env.server.origin() + "/gw", "--api-key", kKey};
  const auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = common;
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  };
  SECTION("an alias of one (deprecated) model") {
    const RunResult result = run_cli(with({"--alias", "fast", "--output", "json", "Hello"}));
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    const auto object = parse_object(result.out);
    CHECK(object->getValue<std::string>("alias") == "fast");
    CHECK(object->getArray("warnings")->size() == 1);
    CHECK_THAT(result.err, Catch::Contains("warning: model 'gpt-4-0314' of openai is deprecated"));
    CHECK(parse_object(env.server.requests().at(0).body)->getValue<std::string>("model") == "gpt-4o");
  }
  SECTION("an alias of a cascade") {
    env.server.push_response(anthropic_failure(529, "overloaded_error"));
    const RunResult result = run_cli(with({"--alias", "safe", "--output", "json", "Hello"}));
    REQUIRE(result.exit_code == 0);
    const auto object = parse_object(result.out);
    CHECK(object->getValue<std::string>("alias") == "safe");
    CHECK(object->getValue<std::string>("served_by") == "openai:gpt-4o");
  }
  SECTION("an unknown alias or a bad catalog file exits 2") {
    const RunResult unknown = run_cli(with({"--alias", "slow", "Hello"}));
    CHECK(unknown.exit_code == 2);
    CHECK_THAT(unknown.err, Catch::Contains("unknown alias 'slow'; known aliases: fast, safe"));
    const SchemaFile bad("bad-catalog.json", R"({"aliases": {"x": 1}})");
    const RunResult invalid = run_cli({"ask", "--catalog", bad.path.string(), "--alias", "x", "Hello"});
    CHECK(invalid.exit_code == 2);
    CHECK_THAT(invalid.err, Catch::Contains(bad.path.string() + ": aliases.x: "));
    CHECK(run_cli(with({"--alias", "fast", "--model", "gpt-4o", "Hello"})).exit_code == 2);
    CHECK(env.server.requests().empty());
  }
}

TEST_CASE("ask --proxy: the dry run shows the proxy without its password, --no-proxy bypasses it", "[cli][proxy]") {
  CliEnv env;
  const std::string proxy = "http://ops:pw-secret-9@127.0.0.1:1";
  const RunResult text = run_cli(env.ask({"--dry-run", "--proxy", proxy, "Hello"}));
  REQUIRE(text.exit_code == 0);
  CHECK_THAT(text.out, Catch::StartsWith("POST " + env.server.origin() +
                                         "/v1/chat/completions via proxy http://ops:[REDACTED]@127.0.0.1:1\n"));
  const RunResult json = run_cli(env.ask({"--dry-run", "--output", "json", "--proxy", proxy, "Hello"}));
  REQUIRE(json.exit_code == 0);
  CHECK(parse_object(json.out)->getObject("dry_run")->getValue<std::string>("proxy") ==
        "http://ops:[REDACTED]@127.0.0.1:1");
  const RunResult direct = run_cli(env.ask({"--dry-run", "--output", "json", "--proxy", "", "Hello"}));
  CHECK(parse_object(direct.out)->getObject("dry_run")->isNull("proxy"));

  // Port 1 has no proxy: the call fails naming it, or succeeds directly when the host is exempt.
  const RunResult failed = run_cli(env.ask({"--proxy", proxy, "Hello"}));
  CHECK(failed.exit_code == 1);
  CHECK_THAT(failed.err, Catch::Contains("proxy http://ops:[REDACTED]@127.0.0.1:1"));
  const RunResult bypassed = run_cli(env.ask({"--proxy", proxy, "--no-proxy", "127.0.0.1", "Hello"}));
  CHECK(bypassed.exit_code == 0);
  const RunResult socks = run_cli(env.ask({"--proxy", "socks5://127.0.0.1:1080", "Hello"}));
  CHECK(socks.exit_code == 2);
  CHECK_THAT(socks.err, Catch::Contains("SOCKS"));
  for (const RunResult* result : {&text, &json, &failed, &bypassed}) {
    CHECK(result->out.find("pw-secret-9") == std::string::npos);
    CHECK(result->err.find("pw-secret-9") == std::string::npos);
  }
  CHECK(env.server.requests().size() == 1);
}

TEST_CASE("ask --api responses speaks OpenAI's Responses API, and only for OpenAI", "[cli][responses]") {
  CliEnv env;
  SECTION("every Responses fixture, as JSON and with --stream") {
    struct Row {
      const char* fixture;
      const char* content_start;
      const char* stop_reason;
      int output_tokens;
    };
    const Row rows[] = {
        {"openai/responses.json", "Arr, matey!", "end_turn", 13},
        {"openai/responses_reasoning.json", "Ahoy!", "end_turn", 89},
        {"openai/responses_structured_output.json", "{\"animal_data_list\"", "end_turn", 23},
        {"openai/responses_incomplete.json", "Mango sun-kissed", "max_tokens", 20},
        {"openai/responses_stream.sse", "Hello!", "end_turn", 10},
        {"openai/responses_stream_function_call.sse", "", "tool_use", 20},
        {"openai/responses_stream_incomplete.sse", "Rivers are vital", "max_tokens", 16},
    };
    for (const auto& row : rows) {
      for (const bool stream : {false, true}) {
        CAPTURE(row.fixture, stream);
        env.push_fixture(row.fixture);
        const RunResult result =
            run_cli(env.ask(streamed_if(stream, {"--api", "responses", "--output", "json", "Hello"})));
        INFO(result.err);
        REQUIRE(result.exit_code == 0);
        const auto object = parse_object(result.out);
        CHECK_THAT(object->getValue<std::string>("content"), Catch::StartsWith(row.content_start));
        CHECK(object->getValue<std::string>("stop_reason") == row.stop_reason);
        CHECK(object->getObject("usage")->getValue<int>("output_tokens") == row.output_tokens);
        // The Responses path, the key once, and the per-request header over the instance one.
        const auto requests = env.server.requests();
        REQUIRE_FALSE(requests.empty());
        CHECK(requests.back().uri == "/v1/responses");
        std::string value;
        CHECK(count_header(requests.back(), "authorization", &value) == 1);
        CHECK(count_header(requests.back(), "x-majordomo-feature", &value) == 1);
        CHECK(value == "request");
      }
    }
  }
  SECTION("another provider is a usage error naming the remedy") {
    std::vector<std::string> args = env.ask({"--api", "responses", "Hello"});
    args[2] = "deepseek";
    const RunResult result = run_cli(args);
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err, Catch::Contains("--provider openai"));
    CHECK(env.server.requests().empty());
  }
  SECTION("a cascade is a usage error too: --api belongs to one OpenAI instance") {
    const RunResult result = run_cli(cascade_ask(env, {"--api", "responses", "Hello"}));
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err, Catch::Contains("--provider openai"));
    CHECK(env.server.requests().empty());
  }
  SECTION("an unknown API names the allowed ones") {
    const RunResult result = run_cli(env.ask({"--api", "assistants", "Hello"}));
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err, Catch::Contains("api=responses"));
    CHECK(env.server.requests().empty());
  }
}
