// Renames the example plugin (sdk/examples/acme) into a skeleton for a new provider, and writes its README.
#include "plugin_skeleton.hpp"

#include "example_sources.hpp"

#include <majordomo/version.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <stdexcept>
#include <utility>

namespace majordomo::cli {
namespace {

constexpr std::size_t kMaxProviderId = 64;  // the ABI's limit for mj_provider_info.provider_id

// Lower-case target names CMake keeps for itself (policy CMP0037): a plugin target cannot take them.
constexpr std::array<std::string_view, 10> kReservedTargets = {
    "all", "clean", "edit_cache", "help", "install", "list_install_components", "package",
    "package_source", "rebuild_cache", "test"};

bool is_id_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'; }

// The names a provider id becomes in the renamed sources.
struct Names {
  std::string id;      // my-llm: the provider id, the CMake target, the file stem
  std::string camel;   // MyLlm: the provider class, the display name
  std::string upper;   // MY_LLM: the prefix of the environment variables
  std::string cmake;   // my_llm: the CMake project name
};

Names names_for(std::string_view id) {
  Names names;
  names.id = std::string(id);
  bool start_word = true;
  for (const char c : id) {
    if (c == '-' || c == '_') {
      start_word = true;
      continue;
    }
    names.camel.push_back(start_word ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c);
    start_word = false;
  }
  for (const char c : id) {
    names.upper.push_back(c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    names.cmake.push_back(c == '-' ? '_' : c);
  }
  // C++ identifiers and environment variable names cannot start with a digit (nor be only "_").
  if (names.camel.empty() || std::isdigit(static_cast<unsigned char>(names.camel.front()))) {
    names.camel = "P" + names.camel;
  }
  if (std::isdigit(static_cast<unsigned char>(names.upper.front()))) names.upper = "P" + names.upper;
  return names;
}

// Replaces every occurrence of `from`; a template that lacks it is a build of the CLI whose example
// changed without this file: refused loudly rather than writing a half-renamed skeleton.
void replace_all(std::string& text, std::string_view from, std::string_view to) {
  std::size_t at = text.find(from);
  if (at == std::string::npos) {
    throw std::logic_error(fmt::format("the plugin template has no '{}': the CLI was built from an example "
                                       "it does not match",
                                       from));
  }
  // Built anew rather than replaced in place (GCC 12 -O3 warns falsely on in-place replace, bug 105651).
  std::string out;
  std::size_t from_here = 0;
  for (; at != std::string::npos; at = text.find(from, from_here)) {
    out.append(text, from_here, at - from_here).append(to);
    from_here = at + from.size();
  }
  out.append(text, from_here);
  text = std::move(out);
}

// The first line is the file's purpose comment: the skeleton gets its own.
void replace_first_line(std::string& text, std::string_view line) {
  const std::size_t end = text.find('\n');
  text = std::string(line) + (end == std::string::npos ? std::string() : text.substr(end));
}

std::string skeleton_source(const Names& names) {
  std::string text(example_plugin_source());
  replace_first_line(text, fmt::format("// The {} provider plugin, written by `majordomo plugin new`: it speaks the "
                                       "example's (Acme's) wire format until you change it (README.md).",
                                       names.id));
  replace_all(text, "AcmeProvider", names.camel + "Provider");
  replace_all(text, "\"acme\"", fmt::format("\"{}\"", names.id));
  replace_all(text, "\"Acme\"", fmt::format("\"{}\"", names.camel));
  replace_all(text, "ACME_API_KEY", names.upper + "_API_KEY");
  replace_all(text, "ACME_BASE_URL", names.upper + "_BASE_URL");
  replace_all(text, "https://api.acme.example", fmt::format("https://api.{}.example", names.id));
  return text;
}

std::string skeleton_cmake(const Names& names) {
  std::string text(example_plugin_cmake());
  replace_first_line(text, fmt::format("# The {} provider plugin, built out of tree against an installed majordomo SDK.",
                                       names.id));
  replace_all(text, "project(majordomo_acme_plugin", fmt::format("project(majordomo_{}_plugin", names.cmake));
  replace_all(text, "majordomo_add_plugin(acme SOURCES acme_plugin.cpp)",
              fmt::format("majordomo_add_plugin({0} SOURCES {0}_plugin.cpp)", names.id));
  replace_all(text, "libmajordomo-acme.so", fmt::format("libmajordomo-{}.so", names.id));
  return text;
}

std::string skeleton_readme(const Names& names, std::string_view sdk_prefix) {
  const std::string prefix = sdk_prefix.empty() ? std::string("PREFIX") : std::string(sdk_prefix);
  const std::string bin = sdk_prefix.empty() ? std::string("PREFIX/bin/") : std::string(sdk_prefix) + "/bin/";
  return fmt::format(
      R"(# {id}: a majordomo provider plugin

Written by `majordomo plugin new {id}` (majordomo {version}). It builds as it is and already
answers, because it still speaks the wire format of Acme, the SDK's example provider, which
`majordomo-fake` serves on 127.0.0.1. `docs/plugin-authors.md` in majordomo's sources explains
every part; the example itself is installed in `{prefix}/share/majordomo/examples/acme`.

## Build and try it

```sh
cmake -S . -B build -DCMAKE_PREFIX_PATH={prefix}     # needs a C++20 compiler
cmake --build build                                   # → build/libmajordomo-{id}.so
{bin}majordomo-fake --no-fixtures --port 8089 &
{bin}majordomo ask --plugin-dir build --provider {id} --model acme-swift \
    --base-url http://127.0.0.1:8089 --api-key anything "Hello"
```

Add `--stream` for the SSE path, `--output json` for usage and cost, `--dry-run` to see the exact
request (the key redacted). Instead of `--plugin-dir`, copy the library into
`{prefix}/lib/majordomo/plugins/` or list its directory in `MAJORDOMO_PLUGIN_PATH`.

## What to change next, in order

1. **Catalog** (`kModels`): your model ids, what each can do (`MJ_CAP_*`) and its USD prices per
   million input, output, cached-input and cache-write tokens (negative: not priced).
2. **Metadata** (`kProviderInfo`): the default base URL (`https://api.{id}.example` is a
   placeholder), the auth scheme (`MJ_AUTH_BEARER` for `Authorization: Bearer`, or
   `MJ_AUTH_HEADER` with your header in place of `X-Acme-Key`), the headers every request needs
   (`kRequiredHeaders`: Acme's `Acme-Version`), and the environment variables
   (`{upper}_API_KEY`, `{upper}_BASE_URL`). The host applies all of them; the plugin never adds a
   header or chooses a URL.
3. **Requests** (`build`): your path in place of `/v1/answers` and your body. Keep asking for a
   stream exactly when `MJ_REQUEST_STREAM` is set, and refuse what your API cannot do with
   `MJ_ERR_UNSUPPORTED` before anything is sent.
4. **Answers** (`AnswersDecoder`): `on_body` for JSON answers; `on_event` for your stream's events
   (return false at its terminator); `on_stream_end` to fail a stream cut before it;
   `kRequestIdHeader`.
5. **Errors** (`on_error_status` and `error_kind`): your error body, each error code mapped to its
   kind, and the retry hint (`retry_after_ms` reads the Retry-After headers; add what your body says).
6. **Options**: `reject_all_options` refuses any `--option`; when you add options, read
   `config.options` and refuse the names you do not know.

Then point it at your provider (`--base-url`, `{upper}_API_KEY`) and compare `--dry-run` with
its API reference. Once it no longer speaks Acme, `majordomo-fake` cannot answer it: test it
against recorded answers of your own.
)",
      fmt::arg("id", names.id), fmt::arg("upper", names.upper), fmt::arg("prefix", prefix), fmt::arg("bin", bin),
      fmt::arg("version", MAJORDOMO_VERSION_STRING));
}

}  // namespace

std::optional<std::string> provider_id_problem(std::string_view id) {
  if (id.empty() || id.size() > kMaxProviderId || !std::all_of(id.begin(), id.end(), is_id_char)) {
    return fmt::format("'{}' is not a valid provider id: use 1 to 64 of a-z 0-9 _ - (lower case)", id);
  }
  if (std::find(kReservedTargets.begin(), kReservedTargets.end(), id) != kReservedTargets.end()) {
    return fmt::format("'{}' is a target name CMake reserves for itself: choose another provider id", id);
  }
  return std::nullopt;
}

std::vector<SkeletonFile> plugin_skeleton(std::string_view id, std::string_view sdk_prefix) {
  const Names names = names_for(id);
  std::vector<SkeletonFile> files;
  files.push_back({"CMakeLists.txt", skeleton_cmake(names)});
  files.push_back({names.id + "_plugin.cpp", skeleton_source(names)});
  files.push_back({"README.md", skeleton_readme(names, sdk_prefix)});
  return files;
}

}  // namespace majordomo::cli
