// The CLI's commands, one function each: main() picks one from argv[1] and maps what it throws to an exit code.
#pragma once

#include "arguments.hpp"

namespace majordomo::cli {

// Each returns the exit code; a usage error throws UsageError, a failed request majordomo::Error.
int run_ask(const Arguments& args);
int run_plugins(const Arguments& args);
int run_models(const Arguments& args);
int run_logs(const Arguments& args);
int run_version(const Arguments& args);  // majordomo --version (added in 0.2)
int run_plugin(const Arguments& args);   // majordomo plugin new (added in 0.2)
int run_chat(const Arguments& args);     // majordomo chat: an interactive conversation (added in 0.5)
int run_serve(const Arguments& args);    // majordomo serve: the HTTP gateway (added in 0.6)

}  // namespace majordomo::cli
