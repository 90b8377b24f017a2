// The Anthropic Messages shape: requests decoded, answers and stream events encoded.
#include "anthropic_messages_shape.hpp"

#include <catch2/catch.hpp>

#include <string>

namespace am = majordomo::gateway::anthropic_messages;
using majordomo::ContentPart;
using majordomo::Message;
using majordomo::ReasoningEffort;
using majordomo::Response;
using majordomo::ResponseFormat;
using majordomo::StopReason;
using majordomo::StreamChunk;
using majordomo::Thinking;
using majordomo::ToolCall;
using majordomo::ToolCallProblem;
using majordomo::ToolChoice;
using majordomo::gateway::AnswerLabel;
using majordomo::gateway::ClientError;
using majordomo::gateway::ClientRefusal;

namespace {

ClientRefusal refusal_of(const std::string& body) {
  try {
    (void)am::read_request(body);
  } catch (const ClientRefusal& refusal) {
    return refusal;
  }
  FAIL("no refusal for " << body);
  return ClientRefusal(0, "");
}

std::string with_messages(const std::string& messages, const std::string& extra = "") {
  return R"({"model":"anthropic/claude-sonnet-4-5","max_tokens":1024,"messages":)" + messages + extra + "}";
}

std::string with_fields(const std::string& extra) {
  return with_messages(R"([{"role":"user","content":"hi"}])", "," + extra);
}

AnswerLabel label() {
  AnswerLabel label;
  label.id = "msg_1";
  label.created = 1700000000;
  label.model = "claude";
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

std::string event(const std::string& name, const std::string& rest) {
  return "event: " + name + "\ndata: {\"type\":\"" + name + "\"" + rest + "}\n\n";
}

std::string block_start(int index, const std::string& block) {
  return event("content_block_start", ",\"index\":" + std::to_string(index) + ",\"content_block\":" + block);
}

std::string block_delta(int index, const std::string& delta) {
  return event("content_block_delta", ",\"index\":" + std::to_string(index) + ",\"delta\":" + delta);
}

std::string block_stop(int index) { return event("content_block_stop", ",\"index\":" + std::to_string(index)); }

std::string message_start(const std::string& usage = R"("input_tokens":0,"cache_creation_input_tokens":0,)"
                                                     R"("cache_read_input_tokens":0,"output_tokens":0)") {
  return event("message_start", R"(,"message":{"id":"msg_1","type":"message","role":"assistant","model":"claude",)"
                                R"("content":[],"stop_reason":null,"stop_sequence":null,"usage":{)" + usage + "}}");
}

std::string message_end(const std::string& stop, const std::string& usage) {
  return event("message_delta", R"(,"delta":{"stop_reason":")" + stop + R"(","stop_sequence":null},"usage":{)" +
                                    usage + "}") +
         event("message_stop", "");
}

const std::string kZeroUsage =
    R"("input_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":0)";

}  // namespace

TEST_CASE("anthropic request: system, sampling, metadata and max_tokens", "[gateway][anthropic]") {
  const auto request = am::read_request(with_messages(
      R"([{"role":"user","content":"Hello"},{"role":"assistant","content":"Hi"},{"role":"user","content":"Again"}])",
      R"(,"system":[{"type":"text","text":"Be brief."},{"type":"text","text":"Be kind.","cache_control":)"
      R"({"type":"ephemeral"}}],"temperature":0.3,"top_p":0.8,"stream":true,"metadata":{"user_id":"u"},)"
      R"("stop_sequences":[])"));
  CHECK(request.model == "anthropic/claude-sonnet-4-5");
  CHECK(request.stream);
  CHECK(request.request.options.max_tokens == 1024);
  CHECK(request.request.options.system == "Be brief.\n\nBe kind.");
  CHECK(request.request.options.temperature == 0.3);
  CHECK(request.request.options.top_p == 0.8);
  CHECK(request.request.options.prompt_cache);  // a cache_control marker was set
  REQUIRE(request.request.messages.size() == 3);
  CHECK(request.request.messages[0].role == Message::Role::user);
  CHECK(request.request.messages[1].role == Message::Role::assistant);
  CHECK(request.request.messages[1].content == "Hi");
  CHECK(request.request.messages[2].content == "Again");
  // without a marker, no caching, as Anthropic does
  CHECK_FALSE(am::read_request(with_fields(R"("system":"S")")).request.options.prompt_cache);
  CHECK(am::read_request(with_fields(R"("cache_control":{"type":"ephemeral"})")).request.options.prompt_cache);
}

TEST_CASE("anthropic request: images from base64 and url sources", "[gateway][anthropic]") {
  const auto request = am::read_request(with_messages(
      R"([{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png",)"
      R"("data":"iVBO"}},{"type":"image","source":{"type":"url","url":"https://x.test/a.jpg"}},)"
      R"({"type":"text","text":"What?"}]}])"));
  const Message& user = request.request.messages.at(0);
  REQUIRE(user.parts.size() == 3);
  CHECK(user.parts[0].kind == ContentPart::Kind::image_url);
  CHECK(user.parts[0].text == "data:image/png;base64,iVBO");
  CHECK(user.parts[1].text == "https://x.test/a.jpg");
  CHECK(user.parts[2].kind == ContentPart::Kind::text);
  CHECK(user.parts[2].text == "What?");
  auto refusal = refusal_of(with_messages(
      R"([{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/bmp","data":"x"}}]}])"));
  CHECK(refusal.param() == "messages[0].content[0].source.media_type");
  refusal = refusal_of(with_messages(
      R"([{"role":"user","content":[{"type":"image","source":{"type":"file","file_id":"f"}}]}])"));
  CHECK(refusal.param() == "messages[0].content[0].source.file_id");
  refusal = refusal_of(with_messages(R"([{"role":"user","content":[{"type":"document","source":{}}]}])"));
  CHECK(refusal.param() == "messages[0].content[0].type");
}

TEST_CASE("anthropic request: a tool loop with thinking blocks", "[gateway][anthropic]") {
  const auto request = am::read_request(with_messages(
      R"([{"role":"user","content":"Weather?"},)"
      R"({"role":"assistant","content":[{"type":"thinking","thinking":"need \"tool\"","signature":"sig1"},)"
      R"({"type":"redacted_thinking","data":"enc"},{"type":"thinking","thinking":"echo","signature":""},)"
      R"({"type":"text","text":"Let me check."},)"
      R"({"type":"tool_use","id":"toolu_1","name":"get","input":{"city": "Paris"}}]},)"
      R"({"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":[{"type":"text",)"
      R"("text":"sunny"},{"type":"image","source":{"type":"url","url":"https://x.test/sky.png"}}],"is_error":true},)"
      R"({"type":"text","text":"and?"}]}])",
      R"(,"tools":[{"name":"get","description":"Weather","input_schema":{"type":"object"},"strict":true}],)"
      R"("tool_choice":{"type":"any","disable_parallel_tool_use":true},"thinking":{"type":"enabled",)"
      R"("budget_tokens":2048})"));
  const auto& messages = request.request.messages;
  REQUIRE(messages.size() == 4);
  const Message& assistant = messages[1];
  CHECK(assistant.content == "Let me check.");
  REQUIRE(assistant.tool_calls.size() == 1);
  CHECK(assistant.tool_calls[0].id == "toolu_1");
  CHECK(assistant.tool_calls[0].arguments == R"({"city":"Paris"})");
  CHECK(assistant.continuation.provider == "anthropic");
  CHECK(assistant.continuation.items ==
        std::vector<std::string>{R"({"type":"thinking","thinking":"need \"tool\"","signature":"sig1"})",
                                 R"({"type":"redacted_thinking","data":"enc"})"});
  CHECK(messages[2].role == Message::Role::tool);
  CHECK(messages[2].tool_call_id == "toolu_1");
  CHECK(messages[2].content == "sunny");
  CHECK(messages[2].is_error);
  CHECK(messages[3].role == Message::Role::user);
  REQUIRE(messages[3].parts.size() == 2);
  CHECK(messages[3].parts[0].text == "https://x.test/sky.png");
  CHECK(messages[3].parts[1].text == "and?");
  REQUIRE(request.request.tools.size() == 1);
  CHECK(request.request.tools[0].parameters_json == R"({"type":"object"})");
  CHECK(request.request.tools[0].strict);
  CHECK(request.request.tool_choice.mode == ToolChoice::Mode::required);
  CHECK(request.request.parallel_tool_calls == false);
  CHECK(request.request.options.thinking.mode == Thinking::Mode::budget);
  CHECK(request.request.options.thinking.budget_tokens == 2048);
}

TEST_CASE("anthropic request: tool results only, tool_choice kinds, output_config", "[gateway][anthropic]") {
  const std::string tools = R"("tools":[{"name":"f","input_schema":{"type":"object"}}])";
  auto request = am::read_request(with_messages(
      R"([{"role":"user","content":"x"},{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"f",)"
      R"("input":{}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":"ok"}]}])",
      "," + tools + R"(,"tool_choice":{"type":"tool","name":"f"})"));
  CHECK(request.request.messages.size() == 3);
  CHECK(request.request.messages[2].role == Message::Role::tool);
  CHECK(request.request.tool_choice.mode == ToolChoice::Mode::named);
  CHECK(request.request.tool_choice.name == "f");
  CHECK(am::read_request(with_fields(tools + R"(,"tool_choice":{"type":"none"})")).request.tool_choice.mode ==
        ToolChoice::Mode::none);
  request = am::read_request(with_fields(
      R"("thinking":{"type":"adaptive"},"output_config":{"effort":"max","format":{"type":"json_schema",)"
      R"("schema":{"type":"object","properties":{}}}})"));
  CHECK(request.request.options.thinking.mode == Thinking::Mode::on);
  CHECK(request.request.options.reasoning_effort == ReasoningEffort::max);
  CHECK(request.request.format == ResponseFormat::json_schema);
  CHECK(request.request.schema_json == R"({"type":"object","properties":{}})");
  CHECK(am::read_request(with_fields(R"("thinking":{"type":"disabled"})")).request.options.thinking.mode ==
        Thinking::Mode::off);
}

TEST_CASE("anthropic request: refusals name the field and the remedy", "[gateway][anthropic]") {
  struct Case {
    std::string fields, param, remedy;
  };
  const Case cases[] = {
      {R"("stop_sequences":["END"])", "stop_sequences", "cut the answer yourself"},
      {R"("top_k":5)", "top_k", "temperature or top_p"},
      {R"("mcp_servers":[])", "mcp_servers", "no equivalent"},
      {R"("tools":[{"type":"web_search_20250305","name":"web_search"}])", "tools[0].type", "custom tools"},
      {R"("tools":[{"name":"f"}])", "tools[0].input_schema", "Field required"},
      {R"("tools":[{"name":"bad name","input_schema":{}}])", "tools[0].name", "1 to 64"},
      {R"("tool_choice":{"type":"any"})", "tool_choice", "add tools"},
      {R"("thinking":{"type":"enabled"})", "thinking.budget_tokens", "Field required"},
      {R"("thinking":{"type":"sometimes"})", "thinking.type", "enabled"},
      {R"("temperature":1.5)", "temperature", "between 0 and 1"},
      {R"("temprature":1)", "temprature", "Unrecognized request argument"},
  };
  for (const Case& c : cases) {
    INFO(c.fields);
    const auto refusal = refusal_of(with_fields(c.fields));
    CHECK(refusal.status() == 400);
    CHECK(refusal.param() == c.param);
    CHECK_THAT(refusal.what(), Catch::Contains(c.remedy));
  }
  CHECK(refusal_of(R"({"model":"m","messages":[{"role":"user","content":"x"}]})").param() == "max_tokens");
  CHECK(refusal_of(with_messages(R"([{"role":"system","content":"x"}])")).param() == "messages[0].role");
  CHECK(refusal_of(with_messages(R"([{"role":"user","content":[]}])")).param() == "messages[0].content");
  CHECK(refusal_of(with_messages(R"([{"role":"user","content":[{"type":"thinking","thinking":"x"}]}])")).param() ==
        "messages[0].content[0].type");
  CHECK(refusal_of(with_messages(R"([{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"f",)"
                                 R"("input":[1]}]}])")).param() == "messages[0].content[0].input");
  CHECK(refusal_of(with_messages(R"([{"role":"user","content":[{"type":"tool_result","content":"x"}]}])")).param() ==
        "messages[0].content[0].tool_use_id");
}

TEST_CASE("anthropic request: hostile bodies are refused, never crash", "[gateway][anthropic]") {
  CHECK(refusal_of("").status() == 400);
  CHECK(refusal_of("null").status() == 400);
  CHECK(refusal_of(with_messages("[]")).param() == "messages");
  CHECK(refusal_of(with_messages(R"([{"role":"user","content":7}])")).param() == "messages[0].content");
  CHECK(refusal_of(with_messages(R"([{"role":"user","content":[7]}])")).param() == "messages[0].content[0]");
  CHECK(refusal_of(with_messages(R"([{"role":"user","content":[{"text":"x"}]}])")).param() ==
        "messages[0].content[0].type");
  CHECK(refusal_of(R"({"model":"m","max_tokens":1e30,"messages":[]})").param() == "max_tokens");
  CHECK(refusal_of(R"({"model":"m","max_tokens":0,"messages":[]})").param() == "max_tokens");
  const std::string deep = std::string(100, '{') + std::string(100, '}');
  CHECK(refusal_of(deep).status() == 400);
  CHECK_THAT(refusal_of(with_messages("[{\"role\":\"user\",\"content\":\"\xFF\"}]")).what(), Catch::Contains("UTF-8"));
}

TEST_CASE("anthropic message: thinking, text, tool_use and usage without cached tokens", "[gateway][anthropic]") {
  Response answer;
  answer.content = "Checking.";
  answer.reasoning = "need weather";
  answer.continuation.provider = "anthropic";
  answer.continuation.items = {R"({"type":"thinking","thinking":"need weather","signature":"sig"})",
                               R"({"type":"redacted_thinking","data":"enc"})"};
  answer.tool_calls.push_back(call_of("toolu_1", "get", R"({"city":"Paris"})"));
  answer.stop_reason = StopReason::tool_use;
  answer.usage.input_tokens = 100;
  answer.usage.cached_tokens = 60;
  answer.usage.cache_write_tokens = 30;
  answer.usage.output_tokens = 20;
  CHECK(am::message_json(answer, label()) ==
        R"({"id":"msg_1","type":"message","role":"assistant","model":"claude","content":[)"
        R"({"type":"thinking","thinking":"need weather","signature":"sig"},{"type":"redacted_thinking","data":"enc"},)"
        R"({"type":"text","text":"Checking."},{"type":"tool_use","id":"toolu_1","name":"get",)"
        R"("input":{"city":"Paris"}}],"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":10,)"
        R"("cache_creation_input_tokens":30,"cache_read_input_tokens":60,"output_tokens":20}})");
}

TEST_CASE("anthropic message: another provider's reasoning, bad arguments, stop reasons", "[gateway][anthropic]") {
  Response answer;
  answer.reasoning = "r";
  answer.tool_calls.push_back(call_of("", "get", "{cut"));
  answer.tool_calls[0].problem = ToolCallProblem::cut_off;
  answer.stop_reason = StopReason::max_tokens;
  CHECK_THAT(am::message_json(answer, label()),
             Catch::Contains(R"("content":[{"type":"thinking","thinking":"r","signature":""},{"type":"tool_use",)"
                             R"("id":"toolu_msg_1_0","name":"get","input":{}}],"stop_reason":"max_tokens")"));
  const std::pair<StopReason, std::string> reasons[] = {{StopReason::end_turn, "end_turn"},
                                                        {StopReason::stop_sequence, "stop_sequence"},
                                                        {StopReason::content_filter, "refusal"},
                                                        {StopReason::unknown, "end_turn"}};
  for (const auto& [reason, expected] : reasons) {
    Response plain;
    plain.content = "x";
    plain.stop_reason = reason;
    CHECK_THAT(am::message_json(plain, label()), Catch::Contains(R"("stop_reason":")" + expected + "\""));
  }
}

TEST_CASE("anthropic errors: the type Anthropic uses for each status", "[gateway][anthropic]") {
  const std::pair<int, std::string> statuses[] = {
      {400, "invalid_request_error"}, {401, "authentication_error"}, {403, "permission_error"},
      {404, "not_found_error"},       {413, "request_too_large"},    {429, "rate_limit_error"},
      {500, "api_error"},             {529, "overloaded_error"},     {422, "invalid_request_error"}};
  for (const auto& [status, type] : statuses) {
    ClientError error;
    error.status = status;
    error.message = "m \"q\"";
    CHECK(am::error_json(error) == R"({"type":"error","error":{"type":")" + type + R"(","message":"m \"q\""}})");
  }
}

TEST_CASE("anthropic stream: text only", "[gateway][anthropic]") {
  am::EventEncoder encoder(label());
  Response so_far;
  so_far.usage.input_tokens = 12;
  std::string out;
  encoder.chunk(chunk_of(StreamChunk::Kind::text, "Hel"), so_far, out);
  encoder.chunk(chunk_of(StreamChunk::Kind::text, "lo"), so_far, out);
  so_far.stop_reason = StopReason::end_turn;
  so_far.usage.output_tokens = 2;
  encoder.finish(so_far, out);
  const std::string usage =
      R"("input_tokens":12,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":)";
  CHECK(out == message_start(usage + "0") + block_start(0, R"({"type":"text","text":""})") +
                   block_delta(0, R"({"type":"text_delta","text":"Hel"})") +
                   block_delta(0, R"({"type":"text_delta","text":"lo"})") + block_stop(0) +
                   message_end("end_turn", usage + "2"));
}

TEST_CASE("anthropic stream: signed thinking then text", "[gateway][anthropic]") {
  am::EventEncoder encoder(label());
  Response so_far;
  std::string out;
  encoder.chunk(chunk_of(StreamChunk::Kind::reasoning, "hmm"), so_far, out);
  so_far.continuation.provider = "anthropic";
  so_far.continuation.items.push_back(R"({"type":"thinking","thinking":"hmm","signature":"SIG"})");
  encoder.chunk(chunk_of(StreamChunk::Kind::text, "ok"), so_far, out);
  so_far.stop_reason = StopReason::end_turn;
  encoder.finish(so_far, out);
  CHECK(out == message_start() + block_start(0, R"({"type":"thinking","thinking":"","signature":""})") +
                   block_delta(0, R"({"type":"thinking_delta","thinking":"hmm"})") +
                   block_delta(0, R"({"type":"signature_delta","signature":"SIG"})") + block_stop(0) +
                   block_start(1, R"({"type":"text","text":""})") +
                   block_delta(1, R"({"type":"text_delta","text":"ok"})") + block_stop(1) +
                   message_end("end_turn", kZeroUsage));
}

TEST_CASE("anthropic stream: unsigned reasoning, text, then two tool calls", "[gateway][anthropic]") {
  am::EventEncoder encoder(label());
  Response so_far;
  std::string out;
  encoder.chunk(chunk_of(StreamChunk::Kind::reasoning, "r"), so_far, out);
  encoder.chunk(chunk_of(StreamChunk::Kind::text, "Checking."), so_far, out);
  so_far.tool_calls.push_back(call_of("toolu_a", "get", ""));
  encoder.chunk(chunk_of(StreamChunk::Kind::tool_call_start, ""), so_far, out);
  encoder.chunk(chunk_of(StreamChunk::Kind::tool_call_arguments, R"({"c":)"), so_far, out);
  encoder.chunk(chunk_of(StreamChunk::Kind::tool_call_arguments, "1}"), so_far, out);
  encoder.chunk(chunk_of(StreamChunk::Kind::tool_call_end, ""), so_far, out);
  so_far.tool_calls.push_back(call_of("", "put", ""));
  encoder.chunk(chunk_of(StreamChunk::Kind::tool_call_start, "{}", 1), so_far, out);
  encoder.chunk(chunk_of(StreamChunk::Kind::tool_call_end, "", 1), so_far, out);
  so_far.stop_reason = StopReason::tool_use;
  encoder.finish(so_far, out);
  CHECK(out == message_start() + block_start(0, R"({"type":"thinking","thinking":"","signature":""})") +
                   block_delta(0, R"({"type":"thinking_delta","thinking":"r"})") + block_stop(0) +
                   block_start(1, R"({"type":"text","text":""})") +
                   block_delta(1, R"({"type":"text_delta","text":"Checking."})") + block_stop(1) +
                   block_start(2, R"({"type":"tool_use","id":"toolu_a","name":"get","input":{}})") +
                   block_delta(2, R"({"type":"input_json_delta","partial_json":"{\"c\":"})") +
                   block_delta(2, R"({"type":"input_json_delta","partial_json":"1}"})") + block_stop(2) +
                   block_start(3, R"({"type":"tool_use","id":"toolu_msg_1_1","name":"put","input":{}})") +
                   block_delta(3, R"({"type":"input_json_delta","partial_json":"{}"})") + block_stop(3) +
                   message_end("tool_use", kZeroUsage));
}

TEST_CASE("anthropic stream: a redacted block, an empty answer and a mid-stream error", "[gateway][anthropic]") {
  am::EventEncoder encoder(label());
  Response answer;
  answer.continuation.provider = "anthropic";
  answer.continuation.items.push_back(R"({"type":"redacted_thinking","data":"enc"})");
  answer.stop_reason = StopReason::end_turn;
  std::string out;
  encoder.finish(answer, out);
  CHECK(out == message_start() + block_start(0, R"({"type":"redacted_thinking","data":"enc"})") + block_stop(0) +
                   message_end("end_turn", kZeroUsage));
  out.clear();
  ClientError error;
  error.status = 529;
  error.message = "Overloaded";
  encoder.error(error, out);
  CHECK(out == "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
               "\"message\":\"Overloaded\"}}\n\n");
}
