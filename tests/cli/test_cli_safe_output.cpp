// The CLI's output is safe: no credential by value, no terminal control from a server, valid UTF-8 JSON, failed writes reported.
#include "../core/logging_test_env.hpp"
#include "cli_fake_env.hpp"
#include "cli_run.hpp"
#include "fake_server.hpp"

#include <catch2/catch.hpp>

#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <Poco/StreamCopier.h>

#include <string>
#include <thread>
#include <utility>
#include <vector>

using namespace majordomo::fake;
using namespace majordomo::testing;

namespace {

constexpr const char* kKey = "sk-cli-safe-secret-2468";

struct SafeOutputEnv : majordomo::testing::CliFakeEnv {
  SafeOutputEnv() : CliFakeEnv(kKey) {}
};

// One chat completion chunk of an OpenAI stream carrying `text`.
std::string stream_event(const std::string& text) {
  return "data: {\"id\":\"c1\",\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + text +
         "\"},\"finish_reason\":null}]}\n\n";
}

std::string stream_body(const std::vector<std::string>& pieces) {
  std::string body;
  for (const auto& piece : pieces) body += stream_event(piece);
  body += "data: {\"id\":\"c1\",\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n";
  body += "data: [DONE]\n\n";
  return body;
}

std::string shell_quoted(const std::string& word) {
  std::string out = "'";
  for (const char c : word) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

// Runs the CLI through /bin/sh with stdout sent where `redirect` says (e.g. "> /dev/full"), or
// under a pseudo-terminal (`script`) when `redirect` is "tty"; stderr (and for tty, stdout) is read.
CliRun run_cli_redirected(const std::vector<std::string>& args, const std::string& redirect) {
  std::string command = shell_quoted(MAJORDOMO_CLI);
  for (const auto& arg : args) command += " " + shell_quoted(arg);
  std::vector<std::string> shell_args;
  std::string program = "/bin/sh";
  if (redirect == "tty") {
    program = "/usr/bin/script";
    shell_args = {"-qec", command, "/dev/null"};
  } else {
    shell_args = {"-c", command + " " + redirect};
  }
  Poco::Process::Env env;
  for (const char* name : {"OPENAI_API_KEY", "OPENAI_BASE_URL", "MAJORDOMO_PLUGIN_PATH", "MAJORDOMO_CATALOG"}) env[name] = "";
  return majordomo::testing::run_program(program, shell_args, env);
}

// Runs the CLI with a stdout whose reader is already gone: every write fails with EPIPE.
CliRun run_cli_into_closed_pipe(const std::vector<std::string>& args) {
  Poco::Pipe out_pipe, err_pipe;
  out_pipe.close(Poco::Pipe::CLOSE_READ);
  Poco::Process::Env env;
  for (const char* name : {"OPENAI_API_KEY", "OPENAI_BASE_URL", "MAJORDOMO_PLUGIN_PATH", "MAJORDOMO_CATALOG"}) env[name] = "";
  Poco::ProcessHandle handle = Poco::Process::launch(MAJORDOMO_CLI, args, ".", nullptr, &out_pipe, &err_pipe, env);
  out_pipe.close(Poco::Pipe::CLOSE_WRITE);
  CliRun result;
  Poco::PipeInputStream err(err_pipe);
  Poco::StreamCopier::copyToString(err, result.err);
  result.exit_code = handle.wait();
  return result;
}

bool has_line_starting(const std::string& text, const std::string& prefix) {
  std::size_t at = 0;
  while (at <= text.size()) {
    if (text.compare(at, prefix.size(), prefix) == 0) return true;
    const auto newline = text.find('\n', at);
    if (newline == std::string::npos) break;
    at = newline + 1;
  }
  return false;
}

}  // namespace

TEST_CASE("usage errors never echo an option's value", "[cli][secrets]") {
  const std::string secret = "sk-usage-secret-13579";
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"ask", "--api-key=" + secret, "hi"},
        std::vector<std::string>{"ask", "--max-tokens", secret, "hi"},
        std::vector<std::string>{"ask", "--temperature", secret, "hi"},
        std::vector<std::string>{"ask", "--output", secret, "hi"},
        std::vector<std::string>{"ask", "-" + secret, "hi"},
        std::vector<std::string>{"plugin", secret},
        std::vector<std::string>{secret}}) {
    const CliRun result = run_cli(args);
    CAPTURE(args);
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err, !Catch::Contains("usage-secret"));
    CHECK_THAT(result.out, !Catch::Contains("usage-secret"));
  }
  const CliRun named = run_cli({"ask", "--api-key=" + secret, "hi"});
  CHECK_THAT(named.err, Catch::Contains("unknown option --api-key (its value is not shown)"));
  const CliRun plugin = run_cli({"plugin", "remove"});
  CHECK(plugin.exit_code == 2);
  CHECK_THAT(plugin.err, Catch::Contains("unknown plugin subcommand remove (there is: new)"));
}

TEST_CASE("a dry run redacts any header whose value is or contains a known secret", "[cli][secrets]") {
  SafeOutputEnv env;
  const auto args = env.ask({"--dry-run", "--header", std::string("X-Session: ") + kKey, "--header",
                             std::string("X-Wrapped: id=") + kKey + ";v=1", "--header", "X-Proxy-Copy: q",
                             "--header", "X-Plain: visible", "--proxy", "http://u:q@127.0.0.1:9", "--no-proxy", "",
                             "hi"});
  const CliRun text = run_cli(args);
  INFO(text.err);
  REQUIRE(text.exit_code == 0);
  CHECK_THAT(text.out, !Catch::Contains(kKey));
  CHECK_THAT(text.out, Catch::Contains("X-Session: [REDACTED]"));
  CHECK_THAT(text.out, Catch::Contains("X-Wrapped: [REDACTED]"));
  CHECK_THAT(text.out, Catch::Contains("X-Proxy-Copy: [REDACTED]"));
  CHECK_THAT(text.out, Catch::Contains("X-Plain: visible"));
  CHECK_THAT(text.out, Catch::Contains("via proxy http://u:[REDACTED]@127.0.0.1:9"));
  auto json_args = args;
  json_args.insert(json_args.end() - 1, {"--output", "json"});
  const CliRun json = run_cli(json_args);
  REQUIRE(json.exit_code == 0);
  CHECK_THAT(json.out, !Catch::Contains(kKey));
  CHECK_THAT(json.out, Catch::Contains(R"({"name":"X-Session","value":"[REDACTED]"})"));
  CHECK(env.server.requests().empty());
}

TEST_CASE("a key echoed as the request id is not printed", "[cli][secrets]") {
  SafeOutputEnv env;
  for (const bool stream : {false, true}) {
    ScriptedResponse response;
    response.fixture = stream ? "openai/chat_completion_stream.sse" : "openai/chat_completion.json";
    response.headers = {{"x-request-id", kKey}};
    env.server.push_response(response);
    const CliRun result = run_cli(env.ask(streamed_if(stream, {"--output", "json", "hi"})));
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    CHECK(parse_cli_object(result.out)->getValue<std::string>("request_id") == "[REDACTED]");
    CHECK_THAT(result.out + result.err, !Catch::Contains(kKey));
  }
}

TEST_CASE("a key split across stream events is scrubbed from the printed answer", "[cli][secrets]") {
  SafeOutputEnv env;
  ScriptedResponse response;
  response.content_type = "text/event-stream";
  const std::string key = kKey;
  response.body = stream_body({"The key is " + key.substr(0, 7), key.substr(7, 5), key.substr(12) + " and more"});
  env.server.push_response(response);
  const CliRun result = run_cli(env.ask({"--stream", "hi"}));
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  CHECK(result.out == "The key is [REDACTED] and more\n");
}

TEST_CASE("a one-character key split from its value position across stream events is still scrubbed",
          "[cli][secrets]") {
  SafeOutputEnv env;
  for (const auto& [pieces, expected] :
       std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"your password: ", "k", " and a kite"}, "your password: [REDACTED] and a kite\n"},
           {{"the word: ", "k", "ite stays"}, "the word: kite stays\n"}}) {
    ScriptedResponse response;
    response.content_type = "text/event-stream";
    response.body = stream_body(pieces);
    env.server.push_response(response);
    std::vector<std::string> args = {"ask", "--provider", "openai", "--model", "gpt-4o", "--base-url",
                                     env.server.origin() + "/v1", "--api-key", "k", "--stream", "hi"};
    const CliRun result = run_cli(args);
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    CHECK(result.out == expected);
  }
}

TEST_CASE("a key cut short by the plugin's excerpt of an error body leaves none of its bytes", "[cli][secrets]") {
  SafeOutputEnv env;
  TempDir dir;
  const std::string target = "sqlite:" + (dir.path / "calls.db").string();
  const std::string key = kKey;
  // The plugin keeps the first 200 bytes of a body it cannot read; the key starts at byte 193.
  std::string lead = "upstream gateway failure; the request carried Authorization: Bearer ";
  lead.insert(0, 193 - lead.size(), '.');
  const std::string body = lead + key + " and nothing else of interest";
  REQUIRE(body.find(key) == 193);
  for (int i = 0; i < 5; ++i) env.push_error(502, body, "text/plain");  // the call and its retries
  const CliRun result = run_cli(env.ask({"--log", target, "hi"}));
  CHECK(result.exit_code != 0);
  CHECK_THAT(result.err, Catch::Contains("[REDACTED]"));
  const CliRun logs = run_cli({"logs", "--db", target, "--output", "json"});
  REQUIRE(logs.exit_code == 0);
  CHECK_THAT(logs.out, Catch::Contains("[REDACTED]"));  // the row is there, with the cut key replaced
  for (const std::string& text : {result.out, result.err, logs.out}) {
    INFO(text);
    CHECK_THAT(text, !Catch::Contains(key.substr(0, 4)));
  }
}

TEST_CASE("server text cannot steer the terminal or forge a line of ours", "[cli][safe-output]") {
  SafeOutputEnv env;
  // ESC ] 0 ; title BEL, ESC [ 2 J (clear screen), and a forged note on a line of its own.
  const std::string message =
      R"(\u001b]0;pwned\u0007\u001b[2Jboom\nmajordomo: note: all good\r\u009b31m)";
  for (const bool json_output : {false, true}) {
    // 400: not retried, so the one scripted answer is the one reported.
    env.push_error(400, R"({"error":{"message":")" + message + R"(","type":"invalid_request_error"}})");
    std::vector<std::string> extra = {"hi"};
    if (json_output) extra.insert(extra.begin(), {"--output", "json"});
    const CliRun result = run_cli(env.ask(extra));
    CHECK(result.exit_code == 1);
    CHECK(result.err.find('\x1b') == std::string::npos);
    CHECK(result.err.find('\x07') == std::string::npos);
    CHECK(result.err.find('\r') == std::string::npos);
    CHECK(result.err.find("\xc2\x9b") == std::string::npos);
    CHECK_THAT(result.err, Catch::Contains("\\u001b]0;pwned"));
    CHECK_FALSE(has_line_starting(result.err, "majordomo: note:"));
    CHECK_THAT(result.err, Catch::Contains("\n  | majordomo: note: all good"));
    if (json_output) {
      CHECK_THAT(parse_cli_object(result.out)->getObject("error")->getValue<std::string>("message"),
                 Catch::Contains("\x1b]0;pwned"));
    }
  }
}

TEST_CASE("JSON output is valid UTF-8 when a server sends invalid bytes", "[cli][safe-output]") {
  SafeOutputEnv env;
  env.push_error(400, "<html>bad \xff\xfe gateway \xc3</html>", "text/html");
  ScriptedResponse answer;
  answer.fixture = "openai/chat_completion.json";
  answer.headers = {{"x-request-id", "req-\xff-1"}};
  for (const bool error : {true, false}) {
    if (!error) env.server.push_response(answer);
    const CliRun result = run_cli(env.ask({"--output", "json", "hi"}));
    CHECK(result.exit_code == (error ? 1 : 0));
    CHECK(result.out.find('\xff') == std::string::npos);
    CHECK(result.out.find('\xfe') == std::string::npos);
    CHECK_THAT(result.out, Catch::Contains("\xef\xbf\xbd"));
    CHECK_NOTHROW(parse_cli_object(result.out));
  }
}

TEST_CASE("the answer is escaped for a terminal and passed raw to a pipe", "[cli][safe-output]") {
  SafeOutputEnv env;
  const std::string body =
      R"({"id":"c1","object":"chat.completion","model":"gpt-4o","choices":[{"index":0,"message":)"
      R"({"role":"assistant","content":"red \u001b[31mtext\u001b[0m\ttab"},"finish_reason":"stop"}],)"
      R"("usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}})";
  ScriptedResponse response;
  response.content_type = "application/json";
  response.body = body;
  env.server.push_response(response);
  const CliRun piped = run_cli(env.ask({"hi"}));
  REQUIRE(piped.exit_code == 0);
  CHECK(piped.out == "red \x1b[31mtext\x1b[0m\ttab\n");
  env.server.push_response(response);
  const CliRun tty = run_cli_redirected(env.ask({"hi"}), "tty");
  INFO(tty.err);
  REQUIRE(tty.exit_code == 0);
  CHECK(tty.out.find('\x1b') == std::string::npos);
  CHECK_THAT(tty.out, Catch::Contains("red \\u001b[31mtext\\u001b[0m\ttab"));
}

TEST_CASE("a failed write to stdout exits non-zero with a message, and the log row says so", "[cli][safe-output]") {
  SafeOutputEnv env;
  TempDir dir;
  const std::string target = "sqlite:" + (dir.path / "calls.db").string();
  // Which rows carry the answer's usage: a stream that failed at its first piece was abandoned
  // before the usage arrived; an answer printed whole (or a stream printed at its end) has it.
  std::vector<bool> has_usage;
  SECTION("a full disk (/dev/full), non-streamed and streamed") {
    has_usage = {true, false};
    for (const bool stream : {false, true}) {
      env.push_fixture(stream ? "openai/chat_completion_stream.sse" : "openai/chat_completion.json");
      const CliRun result =
          run_cli_redirected(env.ask(streamed_if(stream, {"--log", target, "hi"})), "> /dev/full");
      CHECK(result.exit_code == 1);
      CHECK_THAT(result.err, Catch::Contains("output error: cannot write to standard output: No space left on device"));
    }
  }
  SECTION("a reader that went away (closed pipe), with --output json too") {
    has_usage = {false, true};
    for (const bool json_output : {false, true}) {
      env.push_fixture("openai/chat_completion_stream.sse");
      std::vector<std::string> extra = {"--log", target, "--stream", "hi"};
      if (json_output) extra.insert(extra.begin(), {"--output", "json"});
      const CliRun result = run_cli_into_closed_pipe(env.ask(extra));
      CHECK(result.exit_code == 1);
      CHECK_THAT(result.err, Catch::Contains("the reader closed it (broken pipe)"));
    }
  }
  const CliRun logs = run_cli({"logs", "--db", target, "--output", "json"});
  REQUIRE(logs.exit_code == 0);
  const auto rows = parse_cli_object(logs.out)->getArray("rows");
  REQUIRE(rows->size() == 2);
  for (std::size_t i = 0; i < rows->size(); ++i) {
    const auto row = rows->getObject(static_cast<unsigned>(i));
    CHECK(row->getValue<std::string>("status") == "error");
    CHECK(row->getValue<std::string>("error_kind") == "output");
    CHECK((row->getValue<int64_t>("output_tokens") > 0) == has_usage.at(i));
  }
}

TEST_CASE("an error that cannot be printed as JSON on a full stdout still exits 1 with both messages",
          "[cli][safe-output]") {
  SafeOutputEnv env;
  env.push_error(400, R"({"error":{"message":"bad request","type":"invalid_request_error"}})");
  const CliRun result = run_cli_redirected(env.ask({"--output", "json", "hi"}), "> /dev/full");
  CHECK(result.exit_code == 1);
  CHECK_THAT(result.err, Catch::Contains("majordomo: bad_request error: OpenAI 400: bad request"));
  CHECK_THAT(result.err, Catch::Contains("majordomo: output error: cannot write to standard output"));
  const CliRun help = run_cli_redirected({"--help"}, "> /dev/full");
  CHECK(help.exit_code == 1);
  CHECK_THAT(help.err, Catch::Contains("output error"));
}

TEST_CASE("a PostgreSQL password in --log never appears, however short", "[cli][secrets]") {
  SafeOutputEnv env;
  const CliRun result = run_cli(env.ask({"--log", "postgresql://loguser:Q@127.0.0.1:1/calls", "hi"}));
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.err, !Catch::Contains(":Q@"));
  CHECK_THAT(result.err, !Catch::Contains("password=Q"));
}
