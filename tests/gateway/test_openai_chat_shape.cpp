// The OpenAI Chat shape: requests decoded, answers and chunk events encoded.
#include "openai_chat_shape.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>

namespace oc = majordomo::gateway::openai_chat;
using majordomo::ContentPart;
using majordomo::Message;
using majordomo::ReasoningEffort;
using majordomo::Response;
using majordomo::ResponseFormat;
using majordomo::StopReason;
using majordomo::StreamChunk;
using majordomo::Thinking;
using majordomo::ToolCall;
using majordomo::ToolChoice;
using majordomo::gateway::AnswerLabel;
using majordomo::gateway::ClientError;
using majordomo::gateway::ClientRefusal;

namespace {

// The refusal `body` draws: its status, param and message.
ClientRefusal refusal_of(const std::string& body) {
  try {
    (void)oc::read_request(body);
  } catch (const ClientRefusal& refusal) {
    return refusal;
  }
  FAIL("no refusal for " << body);
  return ClientRefusal(0, "");
}

std::string with_messages(const std::string& messages, const std::string& extra = "") {
  return R"({"model":"openai/gpt-4o","messages":)" + messages + extra + "}";
}

std::string with_fields(const std::string& extra) {
  return with_messages(R"([{"role":"user","content":"hi"}])", "," + extra);
}

AnswerLabel label() {
  AnswerLabel label;
  label.id = "chatcmpl-1";
  label.created = 1700000000;
  label.model = "fast";
  return label;
}

StreamChunk chunk_of(StreamChunk::Kind kind, std::string_view text, std::size_t index = 0) {
  StreamChunk chunk;
  chunk.kind = kind;
  chunk.text = text;
  chunk.tool_index = index;
  return chunk;
}

ToolCall call_of(std::string id, std::string name, std::string arguments) {
  ToolCall call;
  call.id = std::move(id);
  call.name = std::move(name);
  call.arguments = std::move(arguments);
  return call;
}

const std::string kHead = R"("id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"fast")";

std::string chunk_event(const std::string& delta, const std::string& finish = "null", bool usage_null = false) {
  return "data: {" + kHead + R"(,"choices":[{"index":0,"delta":{)" + delta + R"(},"logprobs":null,"finish_reason":)" +
         finish + "}]" + (usage_null ? R"(,"usage":null)" : "") + "}\n\n";
}

const std::string kRoleDelta = R"("role":"assistant","content":"","refusal":null)";

}  // namespace

TEST_CASE("openai request: model, text messages, sampling and stream fields", "[gateway][openai]") {
  const auto request = oc::read_request(with_messages(
      R"([{"role":"system","content":"Be brief."},{"role":"developer","content":[{"type":"text","text":"A"},)"
      R"({"type":"text","text":"B"}]},{"role":"user","content":"Hello","name":"ann"}])",
      R"(,"temperature":0.5,"top_p":0.9,"max_completion_tokens":77,"stream":true,)"
      R"("stream_options":{"include_usage":true},"user":"u1","metadata":{"k":"v"},"store":false,"n":1,)"
      R"("stop":null,"presence_penalty":0,"logprobs":false,"seed":null)"));
  CHECK(request.model == "openai/gpt-4o");
  CHECK(request.stream);
  CHECK(request.include_usage);
  REQUIRE(request.request.messages.size() == 3);
  CHECK(request.request.messages[0].role == Message::Role::system);
  CHECK(request.request.messages[0].content == "Be brief.");
  CHECK(request.request.messages[1].role == Message::Role::system);
  CHECK(request.request.messages[1].content == "AB");
  CHECK(request.request.messages[2].role == Message::Role::user);
  CHECK(request.request.messages[2].content == "Hello");
  CHECK(request.request.options.temperature == 0.5);
  CHECK(request.request.options.top_p == 0.9);
  CHECK(request.request.options.max_tokens == 77);
}

TEST_CASE("openai request: max_tokens alone, and include_usage needs stream", "[gateway][openai]") {
  const auto request = oc::read_request(with_fields(R"("max_tokens":12,"stream_options":{"include_usage":true})"));
  CHECK(request.request.options.max_tokens == 12);
  CHECK_FALSE(request.stream);
  CHECK_FALSE(request.include_usage);
  const auto refusal = refusal_of(with_fields(R"("max_tokens":12,"max_completion_tokens":13)"));
  CHECK(refusal.param() == "max_tokens");
}

TEST_CASE("openai request: user image parts", "[gateway][openai]") {
  const auto request = oc::read_request(with_messages(
      R"([{"role":"user","content":[{"type":"text","text":"What is it?"},)"
      R"({"type":"image_url","image_url":{"url":"https://x.test/a.png","detail":"auto"}},)"
      R"({"type":"image_url","image_url":{"url":"data:image/png;base64,iVBO"}}]}])"));
  const Message& user = request.request.messages.at(0);
  CHECK(user.content.empty());
  REQUIRE(user.parts.size() == 3);
  CHECK(user.parts[0].kind == ContentPart::Kind::text);
  CHECK(user.parts[0].text == "What is it?");
  CHECK(user.parts[1].kind == ContentPart::Kind::image_url);
  CHECK(user.parts[1].text == "https://x.test/a.png");
  CHECK(user.parts[2].text == "data:image/png;base64,iVBO");
}

TEST_CASE("openai request: image, audio and file refusals name the part", "[gateway][openai]") {
  auto refusal = refusal_of(with_messages(
      R"([{"role":"user","content":[{"type":"text","text":"a"},{"type":"image_url","image_url":{"url":"ftp://x"}}]}])"));
  CHECK(refusal.status() == 400);
  CHECK(refusal.param() == "messages[0].content[1].image_url.url");
  CHECK_THAT(refusal.what(), Catch::Contains("https://"));
  refusal = refusal_of(with_messages(
      R"([{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://x","detail":"high"}}]}])"));
  CHECK(refusal.param() == "messages[0].content[0].image_url.detail");
  CHECK_THAT(refusal.what(), Catch::Contains("auto"));
  refusal = refusal_of(with_messages(R"([{"role":"user","content":[{"type":"input_audio","input_audio":{}}]}])"));
  CHECK(refusal.param() == "messages[0].content[0].type");
  refusal = refusal_of(with_messages(R"([{"role":"user","content":[{"type":"file","file":{}}]}])"));
  CHECK(refusal.param() == "messages[0].content[0].type");
  refusal = refusal_of(with_messages(R"([{"role":"user","content":[{"type":"image_url"}]}])"));
  CHECK(refusal.param() == "messages[0].content[0].image_url.url");
  refusal = refusal_of(with_messages(R"([{"role":"user","content":[{"type":"image_url","image_url":{"url":7}}]}])"));
  CHECK(refusal.param() == "messages[0].content[0].image_url.url");
  CHECK_THAT(refusal.what(), Catch::Contains("expected a string, but got an integer"));
}

TEST_CASE("openai request: a tool loop with assistant calls and results", "[gateway][openai]") {
  const auto request = oc::read_request(with_messages(
      R"([{"role":"user","content":"Weather?"},)"
      R"({"role":"assistant","content":null,"refusal":null,"annotations":[],"reasoning_content":"think",)"
      R"("tool_calls":[{"id":"call_1","type":"function","function":{"name":"get","arguments":"{\"c\":1}"}},)"
      R"({"id":"call_2","type":"function","function":{"name":"get","arguments":""}}]},)"
      R"({"role":"tool","tool_call_id":"call_1","content":"sunny"},)"
      R"({"role":"tool","tool_call_id":"call_2","content":[{"type":"text","text":"rain"}]}])",
      R"(,"tools":[{"type":"function","function":{"name":"get","description":"Weather",)"
      R"("parameters":{"type":"object", "properties":{"c":{"type":"integer"}}},"strict":true}}],)"
      R"("tool_choice":{"type":"function","function":{"name":"get"}},"parallel_tool_calls":false)"));
  const auto& messages = request.request.messages;
  REQUIRE(messages.size() == 4);
  const Message& assistant = messages[1];
  CHECK(assistant.role == Message::Role::assistant);
  CHECK(assistant.content.empty());
  REQUIRE(assistant.tool_calls.size() == 2);
  CHECK(assistant.tool_calls[0].id == "call_1");
  CHECK(assistant.tool_calls[0].name == "get");
  CHECK(assistant.tool_calls[0].arguments == R"({"c":1})");
  CHECK(assistant.tool_calls[1].arguments == "{}");
  CHECK(assistant.continuation.provider == "deepseek");
  CHECK(assistant.continuation.items == std::vector<std::string>{"reasoning_content:think"});
  CHECK(messages[2].role == Message::Role::tool);
  CHECK(messages[2].tool_call_id == "call_1");
  CHECK(messages[2].content == "sunny");
  CHECK(messages[3].content == "rain");
  REQUIRE(request.request.tools.size() == 1);
  CHECK(request.request.tools[0].name == "get");
  CHECK(request.request.tools[0].description == "Weather");
  CHECK(request.request.tools[0].parameters_json == R"({"type":"object","properties":{"c":{"type":"integer"}}})");
  CHECK(request.request.tools[0].strict);
  CHECK(request.request.tool_choice.mode == ToolChoice::Mode::named);
  CHECK(request.request.tool_choice.name == "get");
  CHECK(request.request.parallel_tool_calls == false);
}

TEST_CASE("openai request: tool_choice strings, and tool errors", "[gateway][openai]") {
  const std::string tools = R"("tools":[{"type":"function","function":{"name":"f"}}])";
  CHECK(oc::read_request(with_fields(tools + R"(,"tool_choice":"required")")).request.tool_choice.mode ==
        ToolChoice::Mode::required);
  CHECK(oc::read_request(with_fields(tools + R"(,"tool_choice":"none")")).request.tool_choice.mode ==
        ToolChoice::Mode::none);
  CHECK(oc::read_request(with_fields(tools)).request.tools.at(0).parameters_json ==
        R"({"type":"object","properties":{}})");
  CHECK(refusal_of(with_fields(R"("tool_choice":"required")")).param() == "tool_choice");
  CHECK(refusal_of(with_fields(tools + R"(,"tool_choice":"sometimes")")).param() == "tool_choice");
  CHECK(refusal_of(with_fields(R"("tools":[{"type":"custom","custom":{"name":"f"}}])")).param() == "tools[0].type");
  CHECK(refusal_of(with_fields(R"("tools":[{"type":"function","function":{"name":"a b"}}])")).param() ==
        "tools[0].function.name");
  CHECK(refusal_of(with_fields(R"("tools":[{"type":"function","function":{"name":"f","parameters":[]}}])")).param() ==
        "tools[0].function.parameters");
  const auto refusal = refusal_of(with_messages(
      R"([{"role":"user","content":"x"},{"role":"assistant","tool_calls":[{"id":"c","type":"function",)"
      R"("function":{"name":"f","arguments":"[1]"}}]}])"));
  CHECK(refusal.param() == "messages[1].tool_calls[0].function.arguments");
}

TEST_CASE("openai request: response_format and reasoning_effort", "[gateway][openai]") {
  auto request = oc::read_request(with_fields(R"("response_format":{"type":"json_object"})"));
  CHECK(request.request.format == ResponseFormat::json_object);
  request = oc::read_request(with_fields(
      R"("response_format":{"type":"json_schema","json_schema":{"name":"out","strict":true,)"
      R"("schema":{"type":"object","properties":{"a":{"type":"string"}}}}},"reasoning_effort":"high")"));
  CHECK(request.request.format == ResponseFormat::json_schema);
  CHECK(request.request.schema_name == "out");
  CHECK(request.request.schema_json == R"({"type":"object","properties":{"a":{"type":"string"}}})");
  CHECK(request.request.options.reasoning_effort == ReasoningEffort::high);
  request = oc::read_request(with_fields(R"("reasoning_effort":"none")"));
  CHECK(request.request.options.thinking.mode == Thinking::Mode::off);
  CHECK(oc::read_request(with_fields(R"("reasoning_effort":"xhigh")")).request.options.reasoning_effort ==
        ReasoningEffort::max);
  CHECK(refusal_of(with_fields(R"("reasoning_effort":"extreme")")).param() == "reasoning_effort");
  CHECK(refusal_of(with_fields(R"("response_format":{"type":"json_schema","json_schema":{"name":"x"}})")).param() ==
        "response_format.json_schema");
  CHECK(refusal_of(with_fields(R"("response_format":{"type":"yaml"})")).param() == "response_format.type");
}

TEST_CASE("openai request: fields without a neutral form are refused with the remedy", "[gateway][openai]") {
  struct Case {
    std::string fields, param, remedy;
  };
  const Case cases[] = {
      {R"("n":2)", "n", "send several requests"},
      {R"("stop":["END"])", "stop", "remove the stop sequences"},
      {R"("stop":"END")", "stop", "remove the stop sequences"},
      {R"("logprobs":true)", "logprobs", "log probabilities"},
      {R"("top_logprobs":3)", "top_logprobs", "log probabilities"},
      {R"("logit_bias":{"50256":-100})", "logit_bias", "biases"},
      {R"("presence_penalty":0.5)", "presence_penalty", "set it to 0"},
      {R"("frequency_penalty":-1)", "frequency_penalty", "set it to 0"},
      {R"("seed":0)", "seed", "seed"},
      {R"("audio":{"voice":"alloy","format":"mp3"})", "audio", "text output only"},
      {R"("modalities":["text","audio"])", "modalities", "text output only"},
      {R"("prediction":{"type":"content","content":"x"})", "prediction", "predicted outputs"},
      {R"("web_search_options":{})", "web_search_options", "web search"},
      {R"("functions":[{"name":"f"}])", "functions", "use tools"},
      {R"("function_call":"auto")", "function_call", "use tools"},
      {R"("verbosity":"low")", "verbosity", "prompt"},
  };
  for (const Case& c : cases) {
    INFO(c.fields);
    const auto refusal = refusal_of(with_fields(c.fields));
    CHECK(refusal.status() == 400);
    CHECK(refusal.param() == c.param);
    CHECK_THAT(refusal.what(), Catch::Contains(c.remedy));
  }
  // their inert values change nothing and pass
  CHECK_NOTHROW(oc::read_request(with_fields(
      R"("stop":[],"logit_bias":{},"frequency_penalty":0.0,"modalities":["text"],"top_logprobs":null,"n":1)")));
}

TEST_CASE("openai request: unknown fields and roles, misplaced system messages", "[gateway][openai]") {
  auto refusal = refusal_of(with_fields(R"("temprature":1)"));
  CHECK(refusal.param() == "temprature");
  CHECK_THAT(refusal.what(), Catch::Contains("Unrecognized request argument supplied: temprature"));
  refusal = refusal_of(with_messages(R"([{"role":"user","content":"a","extra":1}])"));
  CHECK(refusal.param() == "messages[0].extra");
  refusal = refusal_of(with_messages(R"([{"role":"wizard","content":"a"}])"));
  CHECK(refusal.param() == "messages[0].role");
  refusal = refusal_of(with_messages(R"([{"role":"function","name":"f","content":"a"}])"));
  CHECK(refusal.param() == "messages[0].role");
  CHECK_THAT(refusal.what(), Catch::Contains("role 'tool'"));
  refusal = refusal_of(with_messages(R"([{"role":"user","content":"a"},{"role":"system","content":"late"}])"));
  CHECK(refusal.param() == "messages[1].role");
  CHECK_THAT(refusal.what(), Catch::Contains("move it to the start"));
  refusal = refusal_of(with_messages(R"([{"role":"system","content":"only"}])"));
  CHECK(refusal.param() == "messages");
  refusal = refusal_of(with_messages(R"([{"role":"tool","content":"x"}])"));
  CHECK(refusal.param() == "messages[0].tool_call_id");
  refusal = refusal_of(with_messages(R"([{"role":"assistant","content":"a","audio":{"id":"x"}}])"));
  CHECK(refusal.param() == "messages[0].audio");
}

TEST_CASE("openai request: hostile bodies are refused, never crash", "[gateway][openai]") {
  CHECK(refusal_of("").status() == 400);
  CHECK(refusal_of("[]").status() == 400);
  CHECK_THAT(refusal_of("{\"model\":").what(), Catch::Contains("not valid JSON"));
  CHECK(refusal_of(R"({"messages":[{"role":"user","content":"x"}]})").param() == "model");
  CHECK(refusal_of(R"({"model":"m"})").param() == "messages");
  CHECK(refusal_of(with_messages("[]")).param() == "messages");
  CHECK(refusal_of(with_messages("{}")).param() == "messages");
  CHECK(refusal_of(with_messages(R"([{"role":"user","content":5}])")).param() == "messages[0].content");
  CHECK(refusal_of(with_messages(R"([{"role":"user","content":"x"}])", R"(,"max_tokens":1e300)")).param() ==
        "max_tokens");
  CHECK(refusal_of(with_messages(R"([{"role":"user","content":"x"}])", R"(,"max_tokens":-1)")).param() ==
        "max_tokens");
  CHECK(refusal_of(with_messages(R"([{"role":"user","content":"x"}])", R"(,"max_tokens":99999999999999999999)"))
            .status() == 400);
  CHECK(refusal_of(with_messages(R"([{"role":"user","content":"x"}])", R"(,"temperature":3)")).param() ==
        "temperature");
  CHECK(refusal_of(with_messages(R"([{"role":"user","content":"x"}])", R"(,"stream":"yes")")).param() == "stream");
  const std::string deep = std::string(200, '[') + std::string(200, ']');
  CHECK_THAT(refusal_of(with_fields(R"("metadata":)" + deep)).what(), Catch::Contains("deeper than 64"));
  const std::string bad_utf8 = with_messages("[{\"role\":\"user\",\"content\":\"\xC3\x28\"}]");
  CHECK_THAT(refusal_of(bad_utf8).what(), Catch::Contains("UTF-8"));
}

TEST_CASE("openai completion: text, reasoning and usage", "[gateway][openai]") {
  Response answer;
  answer.content = "Hi \"there\"";
  answer.reasoning = "greet";
  answer.stop_reason = StopReason::end_turn;
  answer.usage.input_tokens = 10;
  answer.usage.output_tokens = 5;
  answer.usage.cached_tokens = 4;
  answer.usage.reasoning_tokens = 2;
  CHECK(oc::completion_json(answer, label()) ==
        R"({"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"fast","choices":[{"index":0,)"
        R"("message":{"role":"assistant","content":"Hi \"there\"","refusal":null,"reasoning_content":"greet"},)"
        R"("logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":10,"completion_tokens":5,)"
        R"("total_tokens":15,"prompt_tokens_details":{"cached_tokens":4},"completion_tokens_details":)"
        R"({"reasoning_tokens":2}}})");
}

TEST_CASE("openai completion: tool calls and finish reasons", "[gateway][openai]") {
  Response answer;
  answer.stop_reason = StopReason::tool_use;
  answer.tool_calls.push_back(call_of("call_a", "get", R"({"c":1})"));
  answer.tool_calls.push_back(call_of("", "get", "{not json"));
  const std::string json = oc::completion_json(answer, label());
  CHECK_THAT(json, Catch::Contains(
      R"("message":{"role":"assistant","content":null,"refusal":null,"tool_calls":[{"id":"call_a","type":"function",)"
      R"("function":{"name":"get","arguments":"{\"c\":1}"}},{"id":"call_chatcmpl-1_1","type":"function",)"
      R"("function":{"name":"get","arguments":"{not json"}}]},"logprobs":null,"finish_reason":"tool_calls"})"));
  const std::pair<StopReason, std::string_view> reasons[] = {{StopReason::end_turn, "\"stop\""},
                                                             {StopReason::stop_sequence, "\"stop\""},
                                                             {StopReason::max_tokens, "\"length\""},
                                                             {StopReason::content_filter, "\"content_filter\""},
                                                             {StopReason::unknown, "\"stop\""}};
  for (const auto& [reason, expected] : reasons) {
    Response plain;
    plain.stop_reason = reason;
    CHECK_THAT(oc::completion_json(plain, label()),
               Catch::Contains("\"content\":\"\"") && Catch::Contains("\"finish_reason\":" + std::string(expected)));
  }
}

TEST_CASE("openai errors: the type and code OpenAI uses for each status", "[gateway][openai]") {
  ClientError error;
  error.status = 400;
  error.message = "bad \"x\"";
  error.param = "messages[0]";
  CHECK(oc::error_json(error) ==
        R"({"error":{"message":"bad \"x\"","type":"invalid_request_error","param":"messages[0]","code":null}})");
  error.param.clear();
  error.status = 401;
  CHECK_THAT(oc::error_json(error), Catch::Contains(R"("type":"invalid_request_error","param":null,"code":"invalid_api_key")"));
  error.status = 403;
  CHECK_THAT(oc::error_json(error), Catch::Contains(R"("type":"request_forbidden")"));
  error.status = 404;
  error.code = "model_not_found";
  CHECK_THAT(oc::error_json(error), Catch::Contains(R"("type":"invalid_request_error","param":null,"code":"model_not_found")"));
  error.code.clear();
  error.status = 429;
  CHECK_THAT(oc::error_json(error), Catch::Contains(R"("type":"requests","param":null,"code":"rate_limit_exceeded")"));
  error.status = 503;
  CHECK_THAT(oc::error_json(error), Catch::Contains(R"("type":"server_error","param":null,"code":null)"));
}

TEST_CASE("openai stream: text only, without usage", "[gateway][openai]") {
  oc::ChunkEncoder encoder(label(), false);
  Response so_far;
  std::string out;
  encoder.chunk(chunk_of(StreamChunk::Kind::text, "Hel"), so_far, out);
  encoder.chunk(chunk_of(StreamChunk::Kind::text, "lo"), so_far, out);
  so_far.stop_reason = StopReason::end_turn;
  encoder.finish(so_far, out);
  CHECK(out == chunk_event(kRoleDelta) + chunk_event(R"("content":"Hel")") + chunk_event(R"("content":"lo")") +
                   chunk_event("", "\"stop\"") + "data: [DONE]\n\n");
}

TEST_CASE("openai stream: reasoning then text, with the usage chunk", "[gateway][openai]") {
  oc::ChunkEncoder encoder(label(), true);
  Response so_far;
  std::string out;
  encoder.chunk(chunk_of(StreamChunk::Kind::reasoning, "hmm"), so_far, out);
  encoder.chunk(chunk_of(StreamChunk::Kind::text, "ok"), so_far, out);
  so_far.stop_reason = StopReason::max_tokens;
  so_far.usage.input_tokens = 3;
  so_far.usage.output_tokens = 4;
  encoder.finish(so_far, out);
  CHECK(out == chunk_event(kRoleDelta, "null", true) + chunk_event(R"("reasoning_content":"hmm")", "null", true) +
                   chunk_event(R"("content":"ok")", "null", true) + chunk_event("", "\"length\"", true) +
                   "data: {" + kHead +
                   R"(,"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7,)"
                   R"("prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}})"
                   "\n\ndata: [DONE]\n\n");
}

TEST_CASE("openai stream: text then two tool calls", "[gateway][openai]") {
  oc::ChunkEncoder encoder(label(), false);
  Response so_far;
  std::string out;
  encoder.chunk(chunk_of(StreamChunk::Kind::text, "Checking."), so_far, out);
  so_far.tool_calls.push_back(call_of("call_a", "get", ""));
  encoder.chunk(chunk_of(StreamChunk::Kind::tool_call_start, ""), so_far, out);
  encoder.chunk(chunk_of(StreamChunk::Kind::tool_call_arguments, R"({"c":)"), so_far, out);
  encoder.chunk(chunk_of(StreamChunk::Kind::tool_call_arguments, "1}"), so_far, out);
  encoder.chunk(chunk_of(StreamChunk::Kind::tool_call_end, ""), so_far, out);
  so_far.tool_calls.push_back(call_of("call_b", "put", ""));
  encoder.chunk(chunk_of(StreamChunk::Kind::tool_call_start, "{}", 1), so_far, out);
  encoder.chunk(chunk_of(StreamChunk::Kind::tool_call_end, "", 1), so_far, out);
  so_far.stop_reason = StopReason::tool_use;
  encoder.finish(so_far, out);
  CHECK(out ==
        chunk_event(kRoleDelta) + chunk_event(R"("content":"Checking.")") +
            chunk_event(R"("tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"get",)"
                        R"("arguments":""}}])") +
            chunk_event(R"("tool_calls":[{"index":0,"function":{"arguments":"{\"c\":"}}])") +
            chunk_event(R"("tool_calls":[{"index":0,"function":{"arguments":"1}"}}])") +
            chunk_event(R"("tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"put",)"
                        R"("arguments":"{}"}}])") +
            chunk_event("", "\"tool_calls\"") + "data: [DONE]\n\n");
}

TEST_CASE("openai stream: an empty answer and a mid-stream error", "[gateway][openai]") {
  oc::ChunkEncoder encoder(label(), false);
  std::string out;
  Response answer;
  answer.stop_reason = StopReason::end_turn;
  encoder.finish(answer, out);
  CHECK(out == chunk_event(kRoleDelta) + chunk_event("", "\"stop\"") + "data: [DONE]\n\n");
  out.clear();
  ClientError error;
  error.status = 502;
  error.message = "upstream failed";
  encoder.error(error, out);
  CHECK(out == "data: {\"error\":{\"message\":\"upstream failed\",\"type\":\"server_error\",\"param\":null,"
               "\"code\":null}}\n\n");
}

// Hidden (run with "[.bench]"): the translation's cost per request, for a typical tool-loop body.
TEST_CASE("openai request: per-request cost", "[.bench]") {
  const std::string body = with_messages(
      R"([{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Weather in Paris?"},)"
      R"({"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get",)"
      R"("arguments":"{\"city\":\"Paris\"}"}}]},{"role":"tool","tool_call_id":"call_1","content":"sunny, 21C"}])",
      R"(,"tools":[{"type":"function","function":{"name":"get","description":"Weather","parameters":{"type":)"
      R"("object","properties":{"city":{"type":"string"}},"required":["city"]}}}],"temperature":0.2,"stream":true)");
  constexpr int kRounds = 20000;
  const auto start = std::chrono::steady_clock::now();
  std::size_t messages = 0;
  for (int i = 0; i < kRounds; ++i) messages += oc::read_request(body).request.messages.size();
  const std::chrono::duration<double, std::micro> spent = std::chrono::steady_clock::now() - start;
  WARN("read_request: " << spent.count() / kRounds << " us per " << body.size() << "-byte request");
  CHECK(messages == 4u * kRounds);
}
