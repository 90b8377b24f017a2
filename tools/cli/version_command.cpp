// `majordomo --version`: the version of the library the CLI runs with and the plugin ABI range it loads.
#include "commands.hpp"
#include "json_output.hpp"

#include <majordomo/majordomo.hpp>

#include <fmt/format.h>

#include <cstdint>
#include <string>

namespace majordomo::cli {

int run_version(const Arguments& args) {
  if (!args.positional.empty()) throw UsageError{"--version takes no other argument"};
  const majordomo::PluginAbiRange abi = majordomo::plugin_abi_range();
  if (args.json_output) {
    std::string out;
    JsonWriter json(out);
    json.begin_object().key("version").string(majordomo::version());
    json.key("plugin_abi").begin_object();
    json.key("min").number(static_cast<int64_t>(abi.min));
    json.key("max").number(static_cast<int64_t>(abi.max));
    json.end_object().end_object();
    print_line(out);
    return 0;
  }
  print_line(fmt::format("majordomo {} (plugin ABI {}..{})", majordomo::version(), abi.min, abi.max));
  return 0;
}

}  // namespace majordomo::cli
