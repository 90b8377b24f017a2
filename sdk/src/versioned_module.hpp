// Loads the first usable module of a list of candidate paths: the TLS module (the SDK) and the call log's sinks (libmajordomo_logging).
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace majordomo::sdk {
inline namespace v1 {
namespace modules {

// Each candidate in order: noted "(absent)" when no file is there; else dlopened (RTLD_NOW |
// RTLD_LOCAL, and never closed: what a module hands out runs its code until the process ends),
// its `entry_name` looked up, and `check` called with that entry (null when missing), which
// returns "" when the module's table is of this build and takes it, else why not. Returns
// whether one was taken; `looked` gets every path tried and why each was passed over, for the
// caller's error message.
bool load_first(const std::vector<std::string>& candidates, const char* entry_name,
                const std::function<std::string(void* entry)>& check, std::string& looked);

// The file that `code` (the address of a function) was loaded from, as the dynamic loader names
// it: the plugin, library or program whose copy of that function it is. Empty when unknown.
std::string file_of(const void* code);

}  // namespace modules
}  // namespace v1
}  // namespace majordomo::sdk
