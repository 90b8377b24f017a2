// The SDK's example plugin (sdk/examples/acme, built in tree) through `majordomo ask` against the fake server's Acme API.
#include "cli_run.hpp"
#include "fake_server.hpp"

#include <catch2/catch.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <cctype>
#include <string>
#include <vector>

using namespace majordomo::fake;
using namespace majordomo::testing;

namespace {

constexpr const char* kKey = "acme-cli-secret-5678";
constexpr const char* kAnswer = "Hello from majordomo-fake (acme).";
// acme-swift's catalog prices, USD per million tokens.
constexpr double kInputPrice = 0.40;
constexpr double kOutputPrice = 1.60;

struct AcmeEnv {
  FakeProviderServer server{[] {
    FakeServerOptions options;
    options.required_api_key = kKey;  // a key sent anywhere but X-Acme-Key is refused
    return options;
  }()};
  AcmeEnv() { server.start(); }

  std::vector<std::string> ask(std::vector<std::string> extra, const std::string& model = "acme-swift") const {
    std::vector<std::string> args = {"ask", "--plugin-dir", MAJORDOMO_TEST_ACME_PLUGIN_DIR, "--provider", "acme",
                                     "--model", model, "--base-url", server.origin(), "--api-key", kKey};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  void push_error(int status, const std::string& body, std::vector<majordomo::fake::Header> headers = {}) {
    ScriptedResponse response;
    response.status = status;
    response.content_type = "application/json";
    response.body = body;
    response.headers = std::move(headers);
    server.push_response(response);
  }

  void push_stream(const std::string& body) {
    ScriptedResponse response;
    response.content_type = "text/event-stream";
    response.body = body;
    server.push_response(response);
  }
};

std::vector<std::string> header_values(const RecordedRequest& request, std::string name) {
  const auto lower = [](std::string text) {
    for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
  };
  std::vector<std::string> values;
  for (const auto& header : request.headers) {
    if (lower(header.name) == lower(name)) values.push_back(header.value);
  }
  return values;
}

Poco::JSON::Object::Ptr error_of(const CliRun& run) { return parse_cli_object(run.out)->getObject("error"); }

constexpr const char* kStreamStart = "event: start\ndata: {\"id\":\"ans_1\",\"model\":\"acme-swift-2025-06\"}\n\n"
                                     "event: text\ndata: {\"text\":\"Hello\"}\n\n";

}  // namespace

TEST_CASE("acme example: the answer, the key in X-Acme-Key (never Bearer), the version header, stream only when asked",
          "[cli][acme]") {
  AcmeEnv env;
  for (const bool stream : {false, true}) {
    SECTION(stream ? "stream" : "json") {
      const CliRun run = run_cli(env.ask(streamed_if(stream, {"What is new?"})));
      INFO(run.err);
      REQUIRE(run.exit_code == 0);
      CHECK(run.out == std::string(kAnswer) + "\n");
      CHECK(run.err.find(kKey) == std::string::npos);
      const auto requests = env.server.requests();
      REQUIRE(requests.size() == 1);
      CHECK(requests[0].uri == "/v1/answers");
      CHECK(header_values(requests[0], "X-Acme-Key") == std::vector<std::string>{kKey});
      CHECK(header_values(requests[0], "Acme-Version") == std::vector<std::string>{"2024-10-01"});
      CHECK(header_values(requests[0], "Authorization").empty());
      const auto body = parse_cli_object(requests[0].body);
      CHECK(body->getValue<std::string>("model") == "acme-swift");
      CHECK(body->getArray("turns")->getObject(0)->getValue<std::string>("from") == "user");
      CHECK(body->getArray("turns")->getObject(0)->getValue<std::string>("text") == "What is new?");
      CHECK(body->has("stream") == stream);
    }
  }
}

TEST_CASE("acme example: JSON output has usage, the catalog's cost, the served model and the request id",
          "[cli][acme]") {
  AcmeEnv env;
  for (const bool stream : {false, true}) {
    SECTION(stream ? "stream" : "json") {
      const CliRun run =
          run_cli(env.ask(streamed_if(stream, {"--output", "json", "--system", "Be brief.", "Hello"})));
      INFO(run.err);
      REQUIRE(run.exit_code == 0);
      const auto answer = parse_cli_object(run.out);
      CHECK(answer->getValue<std::string>("content") == kAnswer);
      CHECK(answer->getValue<std::string>("provider") == "acme");
      CHECK(answer->getValue<std::string>("model") == "acme-swift-2025-06");
      CHECK(answer->getValue<std::string>("stop_reason") == "end_turn");
      CHECK(answer->getValue<std::string>("raw_stop_reason") == "done");
      CHECK(answer->getValue<std::string>("request_id") == "req_acme_000001");
      const auto usage = answer->getObject("usage");
      const auto input = usage->getValue<int64_t>("input_tokens");
      CHECK(input > 0);
      CHECK(usage->getValue<int64_t>("output_tokens") == 5);
      const auto cost = answer->getObject("cost");
      CHECK(cost->getValue<double>("input") == Approx(static_cast<double>(input) * kInputPrice / 1e6));
      CHECK(cost->getValue<double>("output") == Approx(5 * kOutputPrice / 1e6));
      CHECK(cost->getValue<double>("total") == Approx((static_cast<double>(input) * kInputPrice + 5 * kOutputPrice) / 1e6));
      CHECK(parse_cli_object(env.server.requests().at(0).body)->getValue<std::string>("instructions") == "Be brief.");
    }
  }
}

TEST_CASE("acme example: the key and base URL from ACME_API_KEY and ACME_BASE_URL", "[cli][acme]") {
  AcmeEnv env;
  const CliRun run = run_cli({"ask", "--plugin-dir", MAJORDOMO_TEST_ACME_PLUGIN_DIR, "--provider", "acme", "--model",
                              "acme-swift", "Hello"},
                             {{"ACME_API_KEY", kKey}, {"ACME_BASE_URL", env.server.origin()}});
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  CHECK(run.out == std::string(kAnswer) + "\n");
  REQUIRE(env.server.requests().size() == 1);
  CHECK(header_values(env.server.requests()[0], "X-Acme-Key") == std::vector<std::string>{kKey});
}

TEST_CASE("acme example: a cut answer is max_tokens, and fails as truncated when asked to", "[cli][acme]") {
  AcmeEnv env;
  const CliRun cut = run_cli(env.ask({"--max-tokens", "2", "--output", "json", "Hello"}));
  INFO(cut.err);
  REQUIRE(cut.exit_code == 0);
  const auto answer = parse_cli_object(cut.out);
  CHECK(answer->getValue<std::string>("content") == "Hello from");
  CHECK(answer->getValue<std::string>("stop_reason") == "max_tokens");
  CHECK(answer->getValue<std::string>("raw_stop_reason") == "limit");
  CHECK(parse_cli_object(env.server.requests().at(0).body)->getValue<int>("max_output_tokens") == 2);

  const CliRun strict = run_cli(env.ask({"--max-tokens", "2", "--fail-on-truncation", "--stream", "--output", "json", "Hello"}));
  CHECK(strict.exit_code == 1);
  CHECK(error_of(strict)->getValue<std::string>("kind") == "truncated");
}

TEST_CASE("acme example: error codes decide the kind, the status and message are kept", "[cli][acme]") {
  AcmeEnv env;
  SECTION("rate limited: fails at once, never waited out") {
    env.push_error(429, R"({"error":{"code":"rate_limited","message":"slow down","retry_in_ms":1500}})",
                   {{"Retry-After", "2"}});
    const CliRun run = run_cli(env.ask({"--output", "json", "Hello"}));
    CHECK(run.exit_code == 1);
    const auto error = error_of(run);
    CHECK(error->getValue<std::string>("kind") == "rate_limited");
    CHECK(error->getValue<int>("http_status") == 429);
    CHECK(error->getValue<std::string>("message") == "Acme 429: slow down");
    CHECK(env.server.requests().size() == 1);
  }
  SECTION("out of credit: the same 429, but a permission error no retry can fix") {
    env.push_error(429, R"({"error":{"code":"credit_exhausted","message":"top up your account"}})");
    const CliRun run = run_cli(env.ask({"--output", "json", "Hello"}));
    CHECK(run.exit_code == 1);
    CHECK(error_of(run)->getValue<std::string>("kind") == "permission");
    CHECK(error_of(run)->getValue<int>("http_status") == 429);
  }
  SECTION("a wrong key: authentication, the key never printed") {
    const CliRun run = run_cli({"ask", "--plugin-dir", MAJORDOMO_TEST_ACME_PLUGIN_DIR, "--provider", "acme", "--model",
                                "acme-swift", "--base-url", env.server.origin(), "--api-key", "wrong-key-0000",
                                "--output", "json", "Hello"});
    CHECK(run.exit_code == 1);
    CHECK(error_of(run)->getValue<std::string>("kind") == "authentication");
    CHECK(run.out.find("wrong-key-0000") == std::string::npos);
    CHECK(run.err.find("wrong-key-0000") == std::string::npos);
  }
  SECTION("a model the provider does not know: not_found from Acme's 404") {
    const CliRun run = run_cli(env.ask({"--output", "json", "Hello"}, "gpt-4o"));
    CHECK(run.exit_code == 1);
    CHECK(error_of(run)->getValue<std::string>("kind") == "not_found");
    CHECK(error_of(run)->getValue<std::string>("message").find("unknown model 'gpt-4o'") != std::string::npos);
  }
  SECTION("a body that is not Acme's JSON: the status decides, an excerpt of the body is the message") {
    env.push_error(400, "<html><body>Bad gateway configuration</body></html>");
    const CliRun run = run_cli(env.ask({"--output", "json", "Hello"}));
    CHECK(run.exit_code == 1);
    CHECK(error_of(run)->getValue<std::string>("kind") == "bad_request");
    CHECK(error_of(run)->getValue<std::string>("message").find("Bad gateway configuration") != std::string::npos);
  }
}

TEST_CASE("acme example: the retry hint, from Retry-After headers first and from the body otherwise", "[cli][acme]") {
  AcmeEnv env;
  SECTION("body only") {
    env.push_error(503, R"({"error":{"code":"overloaded","message":"busy","retry_in_ms":40}})");
  }
  SECTION("the header wins over the body") {
    env.push_error(503, R"({"error":{"code":"overloaded","message":"busy","retry_in_ms":5000}})",
                   {{"retry-after-ms", "30"}});
  }
  const CliRun run = run_cli(env.ask({"--output", "json", "Hello"}));
  INFO(run.err);
  REQUIRE(run.exit_code == 0);  // 503 is retried, after the wait the provider asked for
  const auto answer = parse_cli_object(run.out);
  CHECK(answer->getValue<std::string>("content") == kAnswer);
  const auto failed = answer->getArray("failed_attempts");
  REQUIRE(failed->size() == 1);
  CHECK(failed->getObject(0)->getValue<std::string>("kind") == "overloaded");
  CHECK(failed->getObject(0)->getValue<int>("http_status") == 503);
  const auto waited = failed->getObject(0)->getValue<int64_t>("waited_ms");
  CHECK((waited == 40 || waited == 30));
  CHECK(env.server.requests().size() == 2);
}

TEST_CASE("acme example: a stream that fails keeps its text, typed from the error event or as a cut connection",
          "[cli][acme]") {
  AcmeEnv env;
  SECTION("an error event") {
    env.push_stream(std::string(kStreamStart) +
                    "event: error\ndata: {\"error\":{\"code\":\"overloaded\",\"message\":\"busy\"}}\n\n");
    const CliRun run = run_cli(env.ask({"--stream", "--output", "json", "Hello"}));
    CHECK(run.exit_code == 1);
    const auto object = parse_cli_object(run.out);
    CHECK(object->getObject("error")->getValue<std::string>("kind") == "overloaded");
    CHECK(object->getObject("error")->getValue<std::string>("message") == "Acme stream error: busy");
    CHECK(object->getValue<std::string>("partial_content") == "Hello");
  }
  SECTION("no finish event") {
    env.push_stream(kStreamStart);
    const CliRun run = run_cli(env.ask({"--stream", "--output", "json", "Hello"}));
    CHECK(run.exit_code == 1);
    const auto object = parse_cli_object(run.out);
    CHECK(object->getObject("error")->getValue<std::string>("kind") == "connection");
    CHECK(object->getValue<std::string>("partial_content") == "Hello");
  }
  CHECK(env.server.requests().size() == 1);  // text was out: never resent
}

TEST_CASE("acme example: JSON mode where the catalog has it, schemas and unknown options refused before sending",
          "[cli][acme]") {
  AcmeEnv env;
  const CliRun json = run_cli(env.ask({"--json", "--output", "json", "Hello"}));
  INFO(json.err);
  REQUIRE(json.exit_code == 0);
  CHECK(parse_cli_object(parse_cli_object(json.out)->getValue<std::string>("content"))->getValue<std::string>(
            "greeting") == kAnswer);
  CHECK(parse_cli_object(env.server.requests().at(0).body)->getValue<std::string>("answer_format") == "json");
  env.server.clear_requests();

  const CliRun deep = run_cli(env.ask({"--json", "--output", "json", "Hello"}, "acme-deep"));
  CHECK(deep.exit_code == 1);
  CHECK(error_of(deep)->getValue<std::string>("kind") == "unsupported");

  const CliRun option = run_cli(env.ask({"--option", "region=eu", "--output", "json", "Hello"}));
  CHECK(option.exit_code == 2);
  CHECK(error_of(option)->getValue<std::string>("kind") == "configuration");
  CHECK(error_of(option)->getValue<std::string>("message") ==
        "unknown option 'region' for provider acme; known options: (none)");
  CHECK(env.server.requests().empty());
}

TEST_CASE("acme example: a dry run shows X-Acme-Key redacted, plugins and models list it priced", "[cli][acme]") {
  AcmeEnv env;
  const CliRun dry = run_cli(env.ask({"--dry-run", "--stream", "Hello"}));
  INFO(dry.err);
  REQUIRE(dry.exit_code == 0);
  CHECK_THAT(dry.out, Catch::StartsWith("POST " + env.server.origin() + "/v1/answers\n"));
  CHECK_THAT(dry.out, Catch::Contains("X-Acme-Key: [REDACTED]\n"));
  CHECK_THAT(dry.out, Catch::Contains("Acme-Version: 2024-10-01\n"));
  CHECK_THAT(dry.out, Catch::Contains(R"("stream":true)"));
  CHECK(dry.out.find(kKey) == std::string::npos);
  CHECK(env.server.requests().empty());

  const CliRun models = run_cli({"models", "acme", "--plugin-dir", MAJORDOMO_TEST_ACME_PLUGIN_DIR, "--output", "json"});
  REQUIRE(models.exit_code == 0);
  const auto list = parse_cli_object(models.out)->getArray("models");
  REQUIRE(list->size() == 2);
  CHECK(list->getObject(0)->getValue<std::string>("id") == "acme-swift");
  CHECK(list->getObject(0)->getValue<double>("input_usd_per_mtok") == Approx(kInputPrice));
  CHECK(list->getObject(0)->getValue<double>("output_usd_per_mtok") == Approx(kOutputPrice));
  CHECK(list->getObject(1)->getValue<std::string>("id") == "acme-deep");
}
