// The LLM a command talks to (one provider, a cascade or an alias) and its client options: shared by ask and chat.
#pragma once

#include "arguments.hpp"

#include <majordomo/majordomo.hpp>

#include <memory>

namespace majordomo::cli {

// --cascade and --alias replace --provider/--model: checks that exactly one way is given.
void check_route(const Arguments& args);

// The LLM for the flags, with the shared client options; warnings go to stderr.
std::shared_ptr<majordomo::LLM> route_llm(const Arguments& args, const majordomo::Host& host,
                                          majordomo::ClientOptions client);

// The client options of the flags: key, base URL, headers, TLS, proxy, provider options, timeouts, limits.
majordomo::ClientOptions client_options(const Arguments& args);

}  // namespace majordomo::cli
