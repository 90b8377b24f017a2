// `majordomo plugin new NAME [--dir DIR]`: writes a buildable provider plugin skeleton into a new directory.
#include "commands.hpp"
#include "safe_output.hpp"
#include "json_output.hpp"
#include "plugin_skeleton.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

namespace majordomo::cli {
namespace {

namespace fs = std::filesystem;

// The prefix this CLI is installed under when the SDK's CMake package sits there too (then the
// README's commands name it); empty in a build tree or a partial install.
std::string installed_sdk_prefix() {
  std::error_code error;
  const fs::path program = fs::read_symlink("/proc/self/exe", error);
  if (error) return {};
  const fs::path prefix = program.parent_path().parent_path();
  const fs::path config = prefix / MAJORDOMO_INSTALL_LIBDIR / "cmake" / "MajordomoSDK" / "MajordomoSDKConfig.cmake";
  return fs::is_regular_file(config, error) ? prefix.string() : std::string();
}

// Creates `dir`, which must not exist yet (its parents may be created). Throws UsageError.
void create_new_directory(const fs::path& dir) {
  std::error_code error;
  if (fs::exists(fs::symlink_status(dir, error))) {
    throw UsageError{fmt::format("plugin new: {} already exists; the skeleton goes only into a new directory "
                                 "(choose another --dir)",
                                 dir.string())};
  }
  if (dir.has_parent_path()) {
    fs::create_directories(dir.parent_path(), error);
    if (error) {
      throw UsageError{fmt::format("plugin new: cannot create {}: {}", dir.parent_path().string(), error.message())};
    }
  }
  if (!fs::create_directory(dir, error)) {
    throw UsageError{error ? fmt::format("plugin new: cannot create {}: {}", dir.string(), error.message())
                           : fmt::format("plugin new: {} already exists", dir.string())};
  }
}

bool write_file(const fs::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  out.close();
  return static_cast<bool>(out);
}

int run_plugin_new(const Arguments& args) {
  if (args.positional.size() < 2) throw UsageError{"plugin new needs a NAME (the provider id)"};
  if (args.positional.size() > 2) throw UsageError{"plugin new takes one NAME"};
  const std::string& id = args.positional[1];
  if (const auto problem = provider_id_problem(id)) throw UsageError{"plugin new: " + *problem};
  fs::path dir = fs::path(args.dir.value_or(id)).lexically_normal();
  if (!dir.has_filename()) dir = dir.parent_path();  // "DIR/" names DIR
  if (dir.empty()) throw UsageError{"plugin new: --dir must name a directory"};

  const std::string sdk_prefix = installed_sdk_prefix();
  const std::vector<SkeletonFile> files = plugin_skeleton(id, sdk_prefix);
  create_new_directory(dir);
  for (const auto& file : files) {
    if (!write_file(dir / file.name, file.content)) {
      std::fprintf(stderr, "majordomo: plugin new: cannot write %s; removing %s again\n",
                   (dir / file.name).string().c_str(), dir.string().c_str());
      std::error_code ignored;
      fs::remove_all(dir, ignored);  // created above, so nothing of the user's is in it
      return kExitFailure;
    }
  }

  if (args.json_output) {
    std::string out;
    JsonWriter json(out);
    json.begin_object().key("plugin_new").begin_object();
    json.key("provider").string(id);
    json.key("directory").string(dir.string());
    json.key("files").begin_array();
    for (const auto& file : files) json.string((dir / file.name).string());
    json.end_array().end_object().end_object();
    print_line(out);
    return 0;
  }
  std::string out = fmt::format("wrote a provider plugin for '{}' into {}:\n", id, dir.string());
  for (const auto& file : files) out += fmt::format("  {}\n", (dir / file.name).string());
  out += fmt::format("build it:  cmake -S {0} -B {0}/build -DCMAKE_PREFIX_PATH={1} && cmake --build {0}/build\n",
                     dir.string(), sdk_prefix.empty() ? "<majordomo's install prefix>" : sdk_prefix);
  out += fmt::format("then read {}: what to change next\n", (dir / "README.md").string());
  write_stdout(printable_answer(out));  // a full disk or a closed pipe is an error here too
  return 0;
}

}  // namespace

int run_plugin(const Arguments& args) {
  if (args.positional.empty()) throw UsageError{"plugin needs a subcommand: new"};
  if (args.positional[0] == "new") return run_plugin_new(args);
  throw UsageError{fmt::format("unknown plugin subcommand {} (there is: new)", shown_argument(args.positional[0]))};
}

}  // namespace majordomo::cli
