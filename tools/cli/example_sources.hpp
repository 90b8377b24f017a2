// The example plugin's sources (sdk/examples/acme), compiled into the CLI as the template of `majordomo plugin new`.
#pragma once

#include <string_view>

namespace majordomo::cli {

// Generated at configure time from sdk/examples/acme: the skeleton is the example itself, renamed,
// so the two never drift apart (and the package test builds both).
std::string_view example_plugin_source();  // acme_plugin.cpp
std::string_view example_plugin_cmake();   // CMakeLists.txt

}  // namespace majordomo::cli
