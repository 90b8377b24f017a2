// majordomo serve over loopback: endpoints, keys, limits, routing to every provider, cascades and metadata, against the fake server.
#include "gateway_test_env.hpp"

#include <majordomo/majordomo.hpp>

#include <catch2/catch.hpp>

#include <unistd.h>

#include <fstream>
#include <sstream>

using namespace majordomo;
using namespace majordomo::testing;

namespace {

const std::string kProviders[][2] = {{"openai", "gpt-4o"},
                                     {"anthropic", "claude-haiku-4-5"},
                                     {"gemini", "gemini-2.5-flash"},
                                     {"deepseek", "deepseek-chat"},
                                     {"cohere", "command-a-03-2025"}};

// The text of every `data:` line of an SSE body, in order.
std::vector<std::string> sse_data(const std::string& body) {
  std::vector<std::string> out;
  std::istringstream lines(body);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.starts_with("data: ")) out.push_back(line.substr(6));
  }
  return out;
}

}  // namespace

TEST_CASE("gateway: /healthz, /readyz and /metrics answer without a key, other paths 404 in OpenAI's shape", "[gateway]") {
  GatewayTestEnv env;
  CHECK(env.send("GET", "/healthz").status == 200);
  CHECK(env.send("GET", "/readyz").body == "ready\n");
  const GatewayReply metrics = env.send("GET", "/metrics");
  CHECK(metrics.status == 200);
  CHECK_THAT(metrics.header("content-type"), Catch::Matchers::StartsWith("text/plain; version=0.0.4"));
  CHECK_THAT(metrics.body, Catch::Matchers::Contains("# TYPE majordomo_gateway_requests_total counter"));
  CHECK_THAT(metrics.body, Catch::Matchers::Contains("process_open_fds "));
  const GatewayReply missing = env.send("GET", "/v2/nothing");
  CHECK(missing.status == 404);
  CHECK(JsonValue::parse(missing.body).at("error").at("message").as_string().find("/v1/chat/completions") !=
        std::string::npos);
}

TEST_CASE("gateway: a missing or wrong key is 401 in the client's shape, and the key never reaches the provider", "[gateway]") {
  GatewayTestEnv env;
  const GatewayReply none = env.send("POST", "/v1/chat/completions", chat_body("openai/gpt-4o"));
  CHECK(none.status == 401);
  CHECK(JsonValue::parse(none.body).at("error").at("code").as_string() == "invalid_api_key");  // as OpenAI answers a bad key
  const GatewayReply wrong = env.send("POST", "/v1/messages", messages_body("anthropic/claude-haiku-4-5"),
                                      {{"x-api-key", "mjk-not-a-key"}});
  CHECK(wrong.status == 401);
  CHECK(JsonValue::parse(wrong.body).at("type").as_string() == "error");
  CHECK(env.server.requests().empty());

  // The Anthropic SDK sends its key as x-api-key; the gateway key then stays here.
  const GatewayReply ok = env.send("POST", "/v1/messages", messages_body("anthropic/claude-haiku-4-5"),
                                   {{"x-api-key", std::string(kGatewayKey)}, {"anthropic-version", "2023-06-01"}});
  REQUIRE(ok.status == 200);
  const auto sent = env.server.requests();
  REQUIRE(sent.size() == 1);
  for (const auto& header : sent[0].headers) CHECK(header.value.find(kGatewayKey) == std::string::npos);
  CHECK(env.access_log().find(kGatewayKey) == std::string::npos);
  CHECK(env.access_log().find("sk-ant-test-0000") == std::string::npos);
}

TEST_CASE("gateway: OpenAI-shaped JSON requests reach every provider and come back as chat.completion objects", "[gateway]") {
  GatewayTestEnv env;
  for (const auto& [provider, model] : kProviders) {
    const std::string name = provider + "/" + model;
    INFO(name);
    const GatewayReply reply = env.post("/v1/chat/completions", chat_body(name));
    REQUIRE(reply.status == 200);
    const JsonValue answer = JsonValue::parse(reply.body);
    CHECK(answer.at("object").as_string() == "chat.completion");
    CHECK(answer.at("model").as_string() == name);
    CHECK_FALSE(answer.at("choices").at(0).at("message").at("content").as_string().empty());
    CHECK(answer.at("usage").at("prompt_tokens").as_integer() > 0);
    CHECK(reply.header("x-majordomo-served-by").starts_with(provider + ":"));
    CHECK(env.server.requests().back().protocol.starts_with(provider));
  }
}

TEST_CASE("gateway: streamed requests are relayed as events in both shapes, ending as each SDK expects", "[gateway]") {
  GatewayTestEnv env;
  for (const auto& [provider, model] : kProviders) {
    const std::string name = provider + "/" + model;
    INFO(name);
    const GatewayReply chat = env.post("/v1/chat/completions", chat_body(name, true));
    REQUIRE(chat.status == 200);
    CHECK_THAT(chat.header("content-type"), Catch::Matchers::StartsWith("text/event-stream"));
    const auto data = sse_data(chat.body);
    REQUIRE(data.size() >= 3);
    CHECK(data.back() == "[DONE]");
    CHECK(JsonValue::parse(data[data.size() - 2]).at("usage").at("completion_tokens").as_integer() > 0);

    const GatewayReply messages = env.post("/v1/messages", messages_body(name, true));
    REQUIRE(messages.status == 200);
    CHECK_THAT(messages.body, Catch::Matchers::StartsWith("event: message_start\n"));
    CHECK_THAT(messages.body, Catch::Matchers::EndsWith("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"));
  }
}

TEST_CASE("gateway: GET /v1/models lists provider/model ids and cascades, only those the key may use", "[gateway]") {
  const std::string keys = fmt::format(R"([{{"name": "team-a", "sha256": "{}"}},
      {{"name": "team-b", "sha256": "{}", "models": ["anthropic/*", "fast"]}}])",
                                       hex_sha256(kGatewayKey), hex_sha256(kOtherGatewayKey));
  GatewayTestEnv env(keys, R"("cascades": {"fast": ["openai/gpt-4o", "anthropic/claude-haiku-4-5"]})");
  const GatewayReply listed = env.send("GET", "/v1/models", {}, {{"Authorization", fmt::format("Bearer {}", kGatewayKey)}});
  REQUIRE(listed.status == 200);
  std::vector<std::string> ids;
  const JsonValue listed_models = JsonValue::parse(listed.body);
  for (const JsonValue& model : listed_models.at("data").as_array()) ids.push_back(model.at("id").as_string());
  CHECK(std::find(ids.begin(), ids.end(), "openai/gpt-4o") != ids.end());
  CHECK(std::find(ids.begin(), ids.end(), "anthropic/claude-haiku-4-5") != ids.end());
  CHECK(std::find(ids.begin(), ids.end(), "fast") != ids.end());

  const GatewayReply limited = env.send("GET", "/v1/models", {}, {{"X-Majordomo-Key", std::string(kOtherGatewayKey)}});
  REQUIRE(limited.status == 200);
  const JsonValue limited_models = JsonValue::parse(limited.body);
  for (const JsonValue& model : limited_models.at("data").as_array()) {
    const std::string& id = model.at("id").as_string();
    CHECK((id.starts_with("anthropic/") || id == "fast"));
  }
  // team-b may not use OpenAI directly: 403, the SDK's PermissionDeniedError.
  const GatewayReply refused = env.send("POST", "/v1/chat/completions", chat_body("openai/gpt-4o"),
                                        {{"X-Majordomo-Key", std::string(kOtherGatewayKey)}});
  CHECK(refused.status == 403);
  CHECK(env.send("GET", "/v1/models").status == 401);
}

TEST_CASE("gateway: an unknown model is 404, a bad body 400 naming the field, an oversized one 413", "[gateway]") {
  GatewayTestEnv env({}, R"("limits": {"max_request_bytes": 4096})");
  const GatewayReply unknown = env.post("/v1/chat/completions", chat_body("nowhere/model-x"));
  CHECK(unknown.status == 404);
  CHECK_THAT(unknown.body, Catch::Matchers::Contains("GET /v1/models"));
  const GatewayReply bad = env.post("/v1/chat/completions", R"({"model":"openai/gpt-4o","messages":"hello"})");
  CHECK(bad.status == 400);
  CHECK(JsonValue::parse(bad.body).at("error").at("param").as_string() == "messages");
  const GatewayReply big = env.post("/v1/chat/completions", chat_body(std::string(5000, 'm')));
  CHECK(big.status == 413);
  CHECK(env.server.requests().empty());
}

TEST_CASE("gateway: over a key's request rate or daily budget the answer is 429 with Retry-After", "[gateway]") {
  const std::string keys = fmt::format(R"([{{"name": "slow", "sha256": "{}", "requests_per_minute": 2}},
      {{"name": "poor", "sha256": "{}", "usd_per_day": 0.000001}}])",
                                       hex_sha256(kGatewayKey), hex_sha256(kOtherGatewayKey));
  GatewayTestEnv env(keys);
  CHECK(env.post("/v1/chat/completions", chat_body("openai/gpt-4o")).status == 200);
  CHECK(env.post("/v1/chat/completions", chat_body("openai/gpt-4o")).status == 200);
  const GatewayReply limited = env.post("/v1/chat/completions", chat_body("openai/gpt-4o"));
  CHECK(limited.status == 429);
  CHECK(std::stoi(limited.header("retry-after")) >= 1);
  CHECK(std::stoi(limited.header("retry-after")) <= 60);
  CHECK(env.server.requests().size() == 2);

  const std::vector<std::pair<std::string, std::string>> poor = {{"X-Majordomo-Key", std::string(kOtherGatewayKey)}};
  CHECK(env.send("POST", "/v1/messages", messages_body("anthropic/claude-haiku-4-5"), poor).status == 200);
  const GatewayReply broke = env.send("POST", "/v1/messages", messages_body("anthropic/claude-haiku-4-5"), poor);
  CHECK(broke.status == 429);
  CHECK(JsonValue::parse(broke.body).at("error").at("type").as_string() == "rate_limit_error");
  const int retry_after = std::stoi(broke.header("retry-after"));
  CHECK(retry_after >= 1);
  CHECK(retry_after <= 86'400);
  const std::string metrics = env.send("GET", "/metrics").body;
  CHECK_THAT(metrics, Catch::Matchers::Contains(R"(majordomo_gateway_refusals_total{endpoint="messages",code="429",reason="limit"} 1)"));
}

TEST_CASE("gateway: a cascade alias fails over, and says who served", "[gateway]") {
  GatewayTestEnv env({}, R"("cascades": {"fast": ["openai/gpt-4o", "anthropic/claude-haiku-4-5"]})");
  fake::ScriptedResponse down;
  down.status = 503;
  down.body = R"({"error":{"message":"down for a test","type":"server_error"}})";
  down.path_contains = "/chat/completions";
  env.server.push_response(down);
  const GatewayReply reply = env.post("/v1/chat/completions", chat_body("fast"));
  REQUIRE(reply.status == 200);
  CHECK(reply.header("x-majordomo-served-by") == "anthropic:claude-haiku-4-5");
  CHECK(JsonValue::parse(reply.body).at("model").as_string() == "fast");
}

TEST_CASE("gateway: X-Majordomo-* headers go upstream as metadata, the key headers do not", "[gateway]") {
  GatewayTestEnv env;
  const GatewayReply reply = env.post("/v1/chat/completions", chat_body("openai/gpt-4o"),
                                      {{"X-Majordomo-Feature", "summaries"}, {"X-Majordomo-Provider-Key", "sk-client"}});
  CHECK(reply.status == 403);  // pass-through is off for openai
  CHECK(env.server.requests().empty());
  REQUIRE(env.post("/v1/chat/completions", chat_body("openai/gpt-4o"), {{"X-Majordomo-Feature", "summaries"}}).status == 200);
  const auto sent = env.server.requests();
  REQUIRE(sent.size() == 1);
  bool feature = false;
  for (const auto& header : sent[0].headers) {
    if (header_name_equals(header.name, "X-Majordomo-Feature")) feature = header.value == "summaries";
    CHECK_FALSE(header_name_equals(header.name, "X-Majordomo-Key"));
    if (header_name_equals(header.name, "Authorization")) CHECK(header.value == "Bearer sk-test-0000");
  }
  CHECK(feature);
}

TEST_CASE("gateway: an upstream error comes back with the status the client's SDK maps to its own class", "[gateway]") {
  GatewayTestEnv env;
  struct Case {
    int upstream;
    int expected;
    bool relayed;  // the provider's message reaches the client
  };
  const Case cases[] = {{429, 429, true}, {400, 400, true}, {500, 502, true}, {401, 502, false}, {403, 502, false}};
  for (const Case& row : cases) {
    INFO(row.upstream);
    fake::ScriptedResponse failure;
    failure.status = row.upstream;
    // A provider refusing a key quotes it, masked: "sk-t****0000".
    failure.body = R"({"error":{"message":"scripted failure for sk-t****0000","type":"test_error"}})";
    failure.path_contains = "/chat/completions";
    env.server.push_response(failure);
    const GatewayReply reply = env.post("/v1/chat/completions", chat_body("openai/gpt-4o"));
    CHECK(reply.status == row.expected);
    const std::string message = JsonValue::parse(reply.body).at("error").at("message").as_string();
    if (row.relayed) {
      CHECK_THAT(message, Catch::Matchers::Contains("scripted failure"));
    } else {
      // The gateway's own credentials were refused: the client learns that, not the provider's text.
      CHECK_THAT(message, Catch::Matchers::Contains("refused the gateway's own credentials"));
      CHECK(reply.body.find("sk-t") == std::string::npos);
    }
  }
}

TEST_CASE("gateway: Anthropic's 529 overloaded is 529 overloaded_error to an Anthropic client, 503 to an OpenAI one", "[gateway]") {
  GatewayTestEnv env;
  for (const bool anthropic_client : {true, false}) {
    INFO("anthropic client " << anthropic_client);
    fake::ScriptedResponse overloaded;
    overloaded.status = 529;
    overloaded.body = R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})";
    overloaded.path_contains = "/messages";
    env.server.push_response(overloaded);
    // Poco's client keeps the status as an enum without 529 (reading it back is undefined
    // behaviour): this answer is read from the wire.
    const std::string body = anthropic_client ? messages_body("anthropic/claude-haiku-4-5")
                                              : chat_body("anthropic/claude-haiku-4-5");
    const std::string request = fmt::format(
        "POST {} HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-key: {}\r\nContent-Type: application/json\r\n"
        "Content-Length: {}\r\nConnection: close\r\n\r\n{}",
        anthropic_client ? "/v1/messages" : "/v1/chat/completions", kGatewayKey, body.size(), body);
    Poco::Net::StreamSocket socket(Poco::Net::SocketAddress("127.0.0.1", env.gateway->port()));
    socket.setReceiveTimeout(Poco::Timespan(30, 0));
    socket.sendBytes(request.data(), static_cast<int>(request.size()));
    std::string received;
    char buffer[4096];
    for (int n = 0; (n = socket.receiveBytes(buffer, sizeof buffer)) > 0;) {
      received.append(buffer, static_cast<std::size_t>(n));
      REQUIRE(received.size() < 65536);
    }
    GatewayReply reply;
    reply.status = std::stoi(received.substr(received.find(' ') + 1, 3));
    reply.body = received.substr(received.find("\r\n\r\n") + 4);
    const JsonValue error = JsonValue::parse(reply.body).at("error");
    if (anthropic_client) {
      CHECK(reply.status == 529);
      CHECK(error.at("type").as_string() == "overloaded_error");  // what the SDK raises OverloadedError for
    } else {
      CHECK(reply.status == 503);
    }
    CHECK_THAT(error.at("message").as_string(), Catch::Matchers::Contains("Overloaded"));
  }
}

TEST_CASE("gateway: X-Majordomo-Key wins over an SDK's dummy apiKey, health probes take HEAD, wrong methods are 405", "[gateway]") {
  GatewayTestEnv env;
  const GatewayReply keyed = env.send("POST", "/v1/chat/completions", chat_body("openai/gpt-4o"),
                                      {{"Authorization", "Bearer sdk-needs-something"},
                                       {"X-Majordomo-Key", std::string(kGatewayKey)}});
  CHECK(keyed.status == 200);
  CHECK(env.send("HEAD", "/healthz").status == 200);
  CHECK(env.send("HEAD", "/readyz").status == 200);
  const GatewayReply wrong = env.send("GET", "/v1/chat/completions");
  CHECK(wrong.status == 405);
  CHECK(wrong.header("allow") == "POST");
  CHECK(env.send("POST", "/metrics", "{}").status == 405);
}

TEST_CASE("gateway: a request refused before its body was read does not spoil the connection for the next one", "[gateway]") {
  GatewayTestEnv env;
  // One session, as an SDK's keep-alive pool reuses it: a 401 (body unread), then a good request.
  Poco::Net::HTTPClientSession session("127.0.0.1", env.gateway->port());
  session.setTimeout(Poco::Timespan(30, 0));
  const auto ask = [&](const std::string& key) {
    const std::string body = chat_body("openai/gpt-4o");
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, "/v1/chat/completions", Poco::Net::HTTPMessage::HTTP_1_1);
    request.set("Authorization", "Bearer " + key);
    request.setContentType("application/json");
    request.setContentLength(static_cast<std::streamsize>(body.size()));
    session.sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    std::string text;
    Poco::StreamCopier::copyToString(session.receiveResponse(response), text);
    return static_cast<int>(response.getStatus());
  };
  CHECK(ask("mjk-wrong") == 401);
  CHECK(ask(std::string(kGatewayKey)) == 200);
  CHECK(ask(std::string(kGatewayKey)) == 200);
}

TEST_CASE("gateway: a thinking block an Anthropic client got reaches the provider again as it was sent", "[gateway][thinking]") {
  // The gateway writes the block it reads from a client as the continuation item the anthropic
  // plugin hands out and sends back (two writers of one format): a signature that no longer
  // matches its text would be refused by Anthropic on the next turn.
  GatewayTestEnv env;
  fake::ScriptedResponse thinking;
  thinking.fixture = "anthropic/stream_thinking.sse";
  env.server.push_response(thinking);
  const std::vector<std::pair<std::string, std::string>> key{{"x-api-key", std::string(kGatewayKey)}};
  const GatewayReply streamed = env.send(
      "POST", "/v1/messages",
      R"({"model":"anthropic/claude-sonnet-5-5","max_tokens":2048,"stream":true,)"
      R"("thinking":{"type":"enabled","budget_tokens":1024},"messages":[{"role":"user","content":"hey"}]})",
      key);
  REQUIRE(streamed.status == 200);
  // The block as the client saw it: its deltas joined, and its signature.
  std::string text, signature;
  std::size_t at = 0;
  for (int guard = 0; guard < 1000 && (at = streamed.body.find("data: ", at)) != std::string::npos; ++guard) {
    const std::size_t end = streamed.body.find('\n', at);
    const JsonValue event = JsonValue::parse(streamed.body.substr(at + 6, end - at - 6));
    at = end;
    const JsonValue* delta = event.find("delta");
    const JsonValue* type = delta != nullptr ? delta->find("type") : nullptr;
    if (type == nullptr) continue;
    if (type->as_string() == "thinking_delta") text += delta->at("thinking").as_string();
    if (type->as_string() == "signature_delta") signature = delta->at("signature").as_string();
  }
  REQUIRE(text.rfind("The user has simply said \"hey\"", 0) == 0);
  REQUIRE(signature.size() > 100);

  // The next turn carries it back, as an Anthropic SDK user's code does.
  const JsonValue block = JsonValue::object({{"type", "thinking"}, {"thinking", text}, {"signature", signature}});
  const std::string next = fmt::format(
      R"({{"model":"anthropic/claude-sonnet-5-5","max_tokens":2048,"thinking":{{"type":"enabled","budget_tokens":1024}},)"
      R"("messages":[{{"role":"user","content":"hey"}},{{"role":"assistant","content":[{},{{"type":"text","text":"Hi!"}}]}},)"
      R"({{"role":"user","content":"again"}}]}})",
      block.to_json());
  REQUIRE(env.send("POST", "/v1/messages", next, key).status == 200);
  const JsonValue sent = JsonValue::parse(env.server.requests().back().body);
  const JsonValue& replayed = sent.at("messages").at(1).at("content").at(0);
  CHECK(replayed.at("type").as_string() == "thinking");
  CHECK(replayed.at("thinking").as_string() == text);
  CHECK(replayed.at("signature").as_string() == signature);
}
