// A hostile upstream behind the gateway: broken framing, encodings, bodies and echoed credentials reach the client as its SDK's typed error, never as a crash or a leaked key.
#include "gateway_test_env.hpp"
#include "misbehaving_server.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace majordomo;
using namespace majordomo::testing;

namespace {

struct HostileCase {
  const char* misbehaviour;
  bool stream;
  int status;  // what the client is answered
};

}  // namespace

TEST_CASE("gateway: a hostile upstream is answered in the client's shape, with no credential, and the gateway goes on",
          "[gateway][hostile]") {
  const HostileCase cases[] = {
      {"bad-chunk-size", false, 502},   {"bad-chunk-size", true, 502},
      {"malformed-status", false, 502}, {"malformed-status", true, 502},
      {"gzip", false, 502},             {"gzip", true, 502},
      {"content-object", false, 502},   {"content-object", true, 502},
      {"data-run", true, 502},          {"endless-line", true, 502},
      {"echo-credentials-error", false, 502}, {"echo-credentials-error", true, 502},
      {"echo-credentials", false, 200},
  };
  for (const HostileCase& hostile : cases) {
    DYNAMIC_SECTION(hostile.misbehaviour << (hostile.stream ? " (stream)" : " (json)")) {
      fake::MisbehavingServerOptions options;
      options.misbehaviour = hostile.misbehaviour;
      options.endless_for = std::chrono::seconds(10);
      options.endless_bytes = size_t{4} << 20;  // past the gateway's SSE event bound, well below its body bound
      fake::MisbehavingServer upstream(options);
      upstream.start();
      GatewayTestEnv env({}, {}, [&](gateway::GatewayConfig& config) {
        config.providers.at("openai").options.base_url = upstream.origin() + "/v1";
      });
      const GatewayReply reply = env.post("/v1/chat/completions", chat_body("openai/gpt-4o", hostile.stream));
      INFO(reply.status << " " << reply.body.substr(0, 600));
      CHECK(reply.status == hostile.status);
      if (hostile.status != 200) {
        // OpenAI's error object: the SDK raises its own typed error from it.
        CHECK_THAT(reply.body, Catch::Matchers::StartsWith(R"({"error":{"message":")"));
      }
      // The provider key the gateway sent (and the echoing servers echo), and the client's own
      // gateway key, which only a gateway forwarding the client's Authorization upstream could
      // have let the server echo.
      CHECK(reply.body.find("sk-test-0000") == std::string::npos);
      CHECK(reply.body.find(std::string(kGatewayKey)) == std::string::npos);
      for (const auto& [name, value] : reply.headers) {
        CHECK(value.find("sk-test-0000") == std::string::npos);
      }
      CHECK(env.send("GET", "/healthz").status == 200);  // still serving
      // After the shutdown every call's access-log line is written: the call's is there, keyless.
      const std::string id = reply.header("x-request-id");
      REQUIRE_FALSE(id.empty());
      env.gateway->shutdown();
      const std::string log = env.access_log();
      CHECK(log.find("id=" + id) != std::string::npos);
      CHECK(log.find("sk-test-0000") == std::string::npos);
      upstream.stop();
    }
  }
}
