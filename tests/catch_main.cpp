// Catch2 main, compiled once for every test binary; it also clears the caller's proxy settings.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdlib>

int main(int argc, char* argv[]) {
  // Tests talk to loopback only. A proxy set in the shell (a corporate https_proxy, say) would
  // send their 127.0.0.1 traffic to it, since loopback is not exempt by default; the proxy tests
  // set what they need themselves. Child processes (the CLI, daemons) inherit the cleared set.
  for (const char* name : {"http_proxy", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy",
                           "NO_PROXY"}) {
    ::unsetenv(name);
  }
  return Catch::Session().run(argc, argv);
}
