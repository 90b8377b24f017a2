// Fault plugin: its entry point lets a C++ exception escape through the C ABI; discovery must skip it and go on.
#include <majordomo/plugin.h>

#include <stdexcept>

// Deliberately not noexcept: the exception really leaves the plugin and reaches the host.
extern "C" MJ_PLUGIN_EXPORT int32_t majordomo_plugin_entry(const mj_host_offer*, mj_plugin_answer*) {
  throw std::runtime_error("the entry point exploded");
}
