// Runs the `majordomo` binary as a user would, for the CLI tests, and parses what it prints.
#pragma once

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <Poco/StreamCopier.h>

#include <string>
#include <thread>
#include <vector>

namespace majordomo::testing {

struct CliRun {
  int exit_code = -1;
  std::string out, err;
};

// Runs `program` with `env`; stdout and stderr are read concurrently so that neither pipe can fill
// up and block it.
inline CliRun run_program(const std::string& program, const std::vector<std::string>& args,
                          const Poco::Process::Env& env) {
  Poco::Pipe out_pipe, err_pipe;
  Poco::ProcessHandle handle = Poco::Process::launch(program, args, ".", nullptr, &out_pipe, &err_pipe, env);
  CliRun result;
  std::thread err_reader([&] {
    Poco::PipeInputStream err(err_pipe);
    Poco::StreamCopier::copyToString(err, result.err);
  });
  Poco::PipeInputStream out(out_pipe);
  Poco::StreamCopier::copyToString(out, result.out);
  err_reader.join();
  result.exit_code = handle.wait();
  return result;
}

// run_program with `input` written to its standard input, which is then closed (chat reads it).
inline CliRun run_program_with_input(const std::string& program, const std::vector<std::string>& args,
                                     const Poco::Process::Env& env, const std::string& input) {
  Poco::Pipe in_pipe, out_pipe, err_pipe;
  Poco::ProcessHandle handle = Poco::Process::launch(program, args, ".", &in_pipe, &out_pipe, &err_pipe, env);
  std::thread writer([&] {
    Poco::PipeOutputStream in(in_pipe);
    in << input;
    in.close();
  });
  CliRun result;
  std::thread err_reader([&] {
    Poco::PipeInputStream err(err_pipe);
    Poco::StreamCopier::copyToString(err, result.err);
  });
  Poco::PipeInputStream out(out_pipe);
  Poco::StreamCopier::copyToString(out, result.out);
  err_reader.join();
  writer.join();
  result.exit_code = handle.wait();
  return result;
}

// Runs the CLI with a clean provider environment (no key or base URL from the caller's shell).
// `extra_env` is set on top of that (e.g. the key and base URL variables of one provider).
inline CliRun run_cli(const std::vector<std::string>& args, const Poco::Process::Env& extra_env = {}) {
  Poco::Process::Env env;
  for (const char* name : {"OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL",
                           "GEMINI_API_KEY", "GOOGLE_GEMINI_BASE_URL", "DEEPSEEK_API_KEY", "DEEPSEEK_BASE_URL",
                           "CO_API_KEY", "COHERE_BASE_URL", "ACME_API_KEY", "ACME_BASE_URL",
                           "MAJORDOMO_PLUGIN_PATH", "MAJORDOMO_CATALOG"}) {
    env[name] = "";
  }
  for (const auto& [name, value] : extra_env) env[name] = value;
  return run_program(MAJORDOMO_CLI, args, env);
}

// `args` with --stream in front when `stream`: the tests that ask both ways.
inline std::vector<std::string> streamed_if(bool stream, std::vector<std::string> args) {
  if (stream) args.insert(args.begin(), "--stream");
  return args;
}

// The one JSON object the CLI prints with --output json.
inline Poco::JSON::Object::Ptr parse_cli_object(const std::string& text) {
  Poco::JSON::Parser parser;
  return parser.parse(text).extract<Poco::JSON::Object::Ptr>();
}

}  // namespace majordomo::testing
