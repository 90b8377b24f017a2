// An application that embeds majordomo as a stranger would: an installed host, a cascade, LoggingLLM to SQLite.
//   embed_app ORIGIN CA_FILE LOG_FILE PREFIX [PLUGIN_DIR]
// ORIGIN is a fake provider server on https (its first /v1/messages answer scripted as a 429), so
// the cascade's first member (anthropic) fails and its second (openai) answers. The program then
// reads the call log back and checks that every majordomo library it mapped (host, logging,
// plugins, TLS module, log sinks module) comes from PREFIX, the installed tree. Exit 0 when all holds.
// PLUGIN_DIR is for a program that linked the static host: such a program, built outside the
// installed tree, cannot know where that tree is; a shared host finds its plugins itself.
#include <majordomo/logging.hpp>
#include <majordomo/majordomo.hpp>

#include <fstream>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace {

int failures = 0;

void expect(bool condition, const std::string& what) {
  if (!condition) {
    std::cerr << "embed_app: FAILED: " << what << '\n';
    ++failures;
  }
}

bool starts_with(const std::string& text, const std::string& prefix) { return text.rfind(prefix, 0) == 0; }

// The majordomo files this process has mapped: the host and logging libraries, the plugins and
// the TLS module, wherever the loader found them.
std::set<std::string> mapped_majordomo_files() {
  std::set<std::string> files;
  std::ifstream maps("/proc/self/maps");
  for (std::string line; std::getline(maps, line);) {
    const auto slash = line.find('/');
    if (slash == std::string::npos) continue;
    const std::string path = line.substr(slash);
    if (path.find("/libmajordomo") != std::string::npos) files.insert(path);
  }
  return files;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5 && argc != 6) {
    std::cerr << "usage: embed_app ORIGIN CA_FILE LOG_FILE PREFIX [PLUGIN_DIR]\n";
    return 2;
  }
  const std::string origin = argv[1];
  const std::string ca_file = argv[2];
  const std::string log_target = std::string("sqlite:") + argv[3];
  const std::string prefix = argv[4];

  std::cout << "compiled against majordomo " << MAJORDOMO_VERSION_STRING << ", running with "
            << majordomo::version() << '\n';
  expect(majordomo::version() == MAJORDOMO_VERSION_STRING, "the library's version is the headers' version");

  try {
    // No plugin directory given and no environment: the host finds the installed plugins itself.
    majordomo::HostOptions host_options;
    if (argc == 6) host_options.plugin_dirs.emplace_back(argv[5]);
    majordomo::Host host(host_options);
    for (const auto& dir : host.search_path()) std::cout << "plugin directory: " << dir.string() << '\n';
    for (const char* provider : {"anthropic", "openai"}) {
      const majordomo::PluginInfo* plugin = host.find_plugin(provider);
      expect(plugin != nullptr, std::string("the installed ") + provider + " plugin is loaded");
      if (plugin != nullptr) {
        expect(starts_with(plugin->path.string(), prefix), plugin->path.string() + " is inside " + prefix);
      }
    }

    majordomo::ClientOptions shared;
    shared.api_key = "sk-embed-not-a-real-key";
    shared.tls.ca_file = ca_file;
    shared.proxy = "";  // loopback only, whatever the environment says
    majordomo::CascadeMember first;
    first.provider = "anthropic";
    first.model = "claude-haiku-4-5";
    first.base_url = origin;
    majordomo::CascadeMember second;
    second.provider = "openai";
    second.model = "gpt-4o";
    second.base_url = origin + "/v1";
    auto cascade = host.get_cascade({first, second}, shared);

    majordomo::LoggingOptions logging;
    logging.target = log_target;
    auto logged = std::make_shared<majordomo::LoggingLLM>(cascade, logging);
    const majordomo::Response answer = logged->get_response("Say hello");
    std::cout << "served by " << answer.served_by << " after " << answer.failed_attempts.size()
              << " failed attempt(s): " << answer.content.substr(0, 60) << '\n';
    expect(answer.served_by == "openai:gpt-4o", "the cascade failed over to openai:gpt-4o");
    expect(answer.failed_attempts.size() == 1, "one failed attempt (anthropic's 429) is reported");
    expect(!answer.content.empty(), "the answer has content");
    logged->close();
    expect(logged->stats().written == 1, "the logger wrote one row");

    const std::vector<majordomo::LogRecord> rows = majordomo::read_log(log_target, 5);
    expect(rows.size() == 1, "the call log holds one row");
    if (!rows.empty()) {
      const majordomo::LogRecord& row = rows.back();
      std::cout << "logged: status " << row.status << ", served_by " << row.served_by << ", failed attempts "
                << row.failed_attempts << '\n';
      expect(row.status == "ok", "the row's status is ok");
      expect(row.served_by == "openai:gpt-4o", "the row names openai:gpt-4o");
      expect(row.failed_attempt_count == 1, "the row counts one failed attempt");
      expect(row.failed_attempts.find("rate_limited") != std::string::npos, "the failed attempt is anthropic's rate limit");
    }
  } catch (const majordomo::Error& error) {
    std::cerr << "embed_app: " << majordomo::to_string(error.kind()) << ": " << error.what() << '\n';
    return 1;
  }

  bool tls_module_mapped = false;
  bool log_sinks_mapped = false;
  for (const std::string& file : mapped_majordomo_files()) {
    std::cout << "mapped: " << file << '\n';
    expect(starts_with(file, prefix), file + " is inside " + prefix);
    if (file.find("libmajordomo-tls.so") != std::string::npos) tls_module_mapped = true;
    if (file.find("libmajordomo-logsinks.so") != std::string::npos) log_sinks_mapped = true;
  }
  expect(tls_module_mapped, "the TLS module of the installed tree served the https calls");
#ifndef MAJORDOMO_STATIC
  // A shared logging library loads its database sinks as a module of its own tree (0.6).
  expect(log_sinks_mapped, "the log sinks module of the installed tree wrote and read the call log");
#else
  expect(!log_sinks_mapped, "a static host carries its log sinks and loads no module for them");
#endif
  if (failures == 0) std::cout << "embed_app: ok\n";
  return failures == 0 ? 0 : 1;
}
