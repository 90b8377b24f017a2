// majordomo: the command-line client (ask, chat, plugins, models, logs, plugin new, serve, --version) over the public C++ API.
#include "arguments.hpp"
#include "commands.hpp"
#include "json_output.hpp"
#include "safe_output.hpp"

#include <majordomo/logging.hpp>

#include <majordomo/majordomo.hpp>

#include <fmt/format.h>

#include <csignal>
#include <cstdio>
#include <exception>
#include <string>

namespace {

// The usage text on stdout (--help): exit 0, or 1 when stdout cannot take it.
int print_usage() {
  try {
    majordomo::cli::write_stdout(majordomo::cli::usage_text());
    return 0;
  } catch (const majordomo::DeliveryError& error) {
    majordomo::cli::print_message(fmt::format("output error: {}", error.what()));
    return majordomo::cli::kExitFailure;
  }
}

}  // namespace

int main(int argc, char** argv) {
  using namespace majordomo::cli;
  // A reader that goes away (`| head -c 100`) must be an error this process reports and logs,
  // not a silent death by SIGPIPE: writes then fail with EPIPE (write_stdout).
  std::signal(SIGPIPE, SIG_IGN);
  Arguments args;
  try {
    args = parse_arguments(argc, argv);
    learn_secrets(args, nullptr);
    if (args.command == "ask") return run_ask(args);
    if (args.command == "chat") return run_chat(args);
    if (args.command == "plugins") return run_plugins(args);
    if (args.command == "models") return run_models(args);
    if (args.command == "logs") return run_logs(args);
    if (args.command == "serve") return run_serve(args);
    if (args.command == "plugin") return run_plugin(args);
    if (args.command == "--version") return run_version(args);
    if (args.command == "--help" || args.command == "-h" || args.command == "help") return print_usage();
    throw UsageError{fmt::format("unknown command {}", shown_argument(args.command))};
  } catch (const UsageError& error) {
    if (error.message.empty()) return print_usage();  // --help
    print_message(error.message);
    std::fwrite(usage_text().data(), 1, usage_text().size(), stderr);
    return kExitUsage;
  } catch (const majordomo::DeliveryError& error) {
    // Standard output is what failed: the message can only go to stderr.
    print_message(fmt::format("output error: {}", error.what()));
    return kExitFailure;
  } catch (const majordomo::Error& error) {
    majordomo::ErrorDetails details = error.details();
    details.message = error.what();
    report_error(args, details);
    return error.kind() == majordomo::ErrorKind::configuration ? kExitUsage : kExitFailure;
  } catch (const std::exception& error) {
    majordomo::ErrorDetails details;
    details.kind = majordomo::ErrorKind::server;
    details.message = fmt::format("unexpected failure: {}", error.what());
    report_error(args, details);
    return kExitFailure;
  }
}
