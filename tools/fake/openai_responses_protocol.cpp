// The OpenAI Responses API as the fake server speaks it: POST .../responses, fixtures as JSON and as streams.
#include "provider_protocol.hpp"

#include "json_text.hpp"
#include "openai_wire.hpp"
#include "response_plan.hpp"
#include "schema_example.hpp"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

namespace majordomo::fake {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

constexpr std::string_view responses_fixture = "openai/responses.json";
constexpr std::string_view responses_stream_fixture = "openai/responses_stream.sse";
constexpr std::string_view responses_path = "/responses";
constexpr std::string_view built_in_text = "Hello from majordomo-fake (responses).";
constexpr int built_in_output_tokens = 8;
constexpr int min_output_tokens = 16;

// Key order kept: the replayed snapshots list their fields as the recordings do.
Object::Ptr parse_object(const std::string& text) {
  Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
  const auto root = parser.parse(text);
  if (root.type() != typeid(Object::Ptr)) throw Poco::DataException("not a JSON object");
  return root.extract<Object::Ptr>();
}

std::string compact(const Poco::Dynamic::Var& value) {
  std::ostringstream out;
  Poco::JSON::Stringifier::condense(value, out);
  return out.str();
}

struct ResponsesRequest {
  std::string model = "gpt-4o-mini";
  std::optional<std::string> instructions;
  std::optional<int64_t> max_output_tokens;
  bool stream = false;
  // Set when the body lists function tools, tool_choice is not "none" and the last input item is
  // not a function_call_output: the model "calls" a tool. After a result it answers with text, so
  // an offline conversation loop runs to its end.
  std::optional<PlannedToolCall> tool_call;
};

// The call to answer with: of the tool tool_choice names ({"type":"function","name"}), else of
// the first function tool, with arguments made from its parameters schema. Tools are flat here.
std::optional<PlannedToolCall> planned_tool_call(const Object& body) {
  const auto tools = body.getArray("tools");
  if (tools.isNull() || tools->size() == 0) return std::nullopt;
  if (const auto input = body.getArray("input"); !input.isNull() && input->size() > 0) {
    const auto last = input->getObject(static_cast<unsigned>(input->size() - 1));
    if (!last.isNull() && last->optValue<std::string>("type", "") == "function_call_output") return std::nullopt;
  }
  std::string wanted;
  if (body.has("tool_choice")) {
    const Poco::Dynamic::Var choice = body.get("tool_choice");
    if (choice.isString() && choice.toString() == "none") return std::nullopt;
    if (const auto named = body.getObject("tool_choice"); !named.isNull()) wanted = named->optValue<std::string>("name", "");
  }
  for (unsigned i = 0; i < tools->size(); ++i) {
    const auto tool = tools->getObject(i);
    if (tool.isNull() || tool->optValue<std::string>("type", "") != "function") continue;
    const std::string name = tool->optValue<std::string>("name", "");
    if (!wanted.empty() && name != wanted) continue;
    return PlannedToolCall{name, schema_example(tool->get("parameters"))};
  }
  return std::nullopt;
}

// Throws Poco::Exception when the body is not a JSON object.
ResponsesRequest parse_request(const std::string& body) {
  const auto object = parse_object(body);
  ResponsesRequest request;
  request.model = string_or(object, "model", request.model);
  if (object->has("instructions") && object->get("instructions").isString()) {
    request.instructions = object->getValue<std::string>("instructions");
  }
  if (const auto cap = object->get("max_output_tokens"); cap.isInteger()) request.max_output_tokens = cap.convert<int64_t>();
  const auto stream = object->get("stream");
  request.stream = stream.isBoolean() && stream.extract<bool>();
  request.tool_call = planned_tool_call(*object);
  return request;
}

// ---- A Response body replayed as the event stream that would have produced it (PROTOCOLS.md §1b.3) ----

class EventWriter {
public:
  // `members` continues the data object after type and sequence_number: `,"k":v…` or empty.
  void emit(std::string_view type, const std::string& members) {
    body_ += fmt::format("event: {}\ndata: {{\"type\":\"{}\",\"sequence_number\":{}{}}}\n\n", type, type, sequence_++,
                         members);
  }
  std::string take() { return std::move(body_); }

private:
  std::string body_;
  int sequence_ = 0;
};

// Deltas the size of a few tokens: a piece starts at each space, so UTF-8 characters stay whole.
std::vector<std::string> text_pieces(const std::string& text) {
  std::vector<std::string> pieces;
  std::size_t start = 0;
  for (std::size_t i = 1; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == ' ') {
      pieces.push_back(text.substr(start, i - start));
      start = i;
    }
  }
  return pieces;
}

void emit_message_parts(EventWriter& events, const Object::Ptr& item, const std::string& location) {
  const auto content = item->getArray("content");
  if (content.isNull()) return;
  const std::string item_id = string_or(item, "id", "");
  for (unsigned part_index = 0; part_index < content->size(); ++part_index) {
    const auto part = content->getObject(part_index);
    if (part.isNull()) continue;
    const std::string type = string_or(part, "type", "");
    const bool refusal = type == "refusal";
    const std::string text_key = refusal ? "refusal" : "text";
    const std::string text = string_or(part, text_key, "");
    const std::string where = fmt::format(R"(,"item_id":{}{},"content_index":{})", json_quote(item_id), location, part_index);
    Object::Ptr empty_part = new Object(*part);
    empty_part->set(text_key, std::string());
    events.emit("response.content_part.added", fmt::format(R"({},"part":{})", where, compact(empty_part)));
    const std::string delta_type = refusal ? "response.refusal.delta" : "response.output_text.delta";
    for (const auto& piece : text_pieces(text)) {
      events.emit(delta_type, fmt::format(R"({},"delta":{}{})", where, json_quote(piece), refusal ? "" : R"(,"logprobs":[])"));
    }
    events.emit(refusal ? "response.refusal.done" : "response.output_text.done",
                fmt::format(R"({},"{}":{}{})", where, text_key, json_quote(text), refusal ? "" : R"(,"logprobs":[])"));
    events.emit("response.content_part.done", fmt::format(R"({},"part":{})", where, compact(part)));
  }
}

void emit_reasoning_summary(EventWriter& events, const Object::Ptr& item, const std::string& location) {
  const auto summary = item->getArray("summary");
  if (summary.isNull()) return;
  const std::string item_id = string_or(item, "id", "");
  for (unsigned index = 0; index < summary->size(); ++index) {
    const auto part = summary->getObject(index);
    if (part.isNull()) continue;
    const std::string text = string_or(part, "text", "");
    const std::string where = fmt::format(R"(,"item_id":{}{},"summary_index":{})", json_quote(item_id), location, index);
    events.emit("response.reasoning_summary_part.added", fmt::format(R"({},"part":{{"type":"summary_text","text":""}})", where));
    for (const auto& piece : text_pieces(text)) {
      events.emit("response.reasoning_summary_text.delta", fmt::format(R"({},"delta":{})", where, json_quote(piece)));
    }
    events.emit("response.reasoning_summary_text.done", fmt::format(R"({},"text":{})", where, json_quote(text)));
    events.emit("response.reasoning_summary_part.done", fmt::format(R"({},"part":{})", where, compact(part)));
  }
}

// Each output item goes added -> its deltas -> done; the terminal event carries the whole Response.
std::string stream_from_response(const std::string& json) {
  const auto response = parse_object(json);
  EventWriter events;
  Object::Ptr snapshot = new Object(*response);
  snapshot->set("status", std::string("in_progress"));
  snapshot->set("output", Array::Ptr(new Array));
  snapshot->set("incomplete_details", Poco::Dynamic::Var());
  snapshot->set("error", Poco::Dynamic::Var());
  snapshot->set("usage", Poco::Dynamic::Var());
  events.emit("response.created", fmt::format(R"(,"response":{})", compact(snapshot)));
  events.emit("response.in_progress", fmt::format(R"(,"response":{})", compact(snapshot)));

  const auto output = response->getArray("output");
  for (unsigned index = 0; !output.isNull() && index < output->size(); ++index) {
    const auto item = output->getObject(index);
    if (item.isNull()) continue;
    const std::string type = string_or(item, "type", "");
    const std::string location = fmt::format(R"(,"output_index":{})", index);
    Object::Ptr added = new Object(*item);
    if (added->has("status")) added->set("status", std::string("in_progress"));
    if (type == "message") added->set("content", Array::Ptr(new Array));
    if (type == "reasoning") added->set("summary", Array::Ptr(new Array));
    if (type == "function_call") added->set("arguments", std::string());
    events.emit("response.output_item.added", fmt::format(R"({},"item":{})", location, compact(added)));
    if (type == "message") emit_message_parts(events, item, location);
    if (type == "reasoning") emit_reasoning_summary(events, item, location);
    if (type == "function_call") {
      const std::string arguments = string_or(item, "arguments", "");
      const std::string where = fmt::format(R"(,"item_id":{}{})", json_quote(string_or(item, "id", "")), location);
      // Two pieces, split inside the JSON text, as real streams split it.
      const std::size_t half = arguments.size() / 2;
      for (const std::string& piece : {arguments.substr(0, half), arguments.substr(half)}) {
        events.emit("response.function_call_arguments.delta", fmt::format(R"({},"delta":{})", where, json_quote(piece)));
      }
      events.emit("response.function_call_arguments.done", fmt::format(R"({},"arguments":{})", where, json_quote(arguments)));
    }
    events.emit("response.output_item.done", fmt::format(R"({},"item":{})", location, compact(item)));
  }

  const std::string status = string_or(response, "status", "completed");
  const std::string terminal = status == "incomplete" ? "response.incomplete"
                               : status == "failed"   ? "response.failed"
                                                      : "response.completed";
  events.emit(terminal, fmt::format(R"(,"response":{})", compact(response)));
  return events.take();
}

// ---- A recorded stream replayed as the JSON body of the same Response ----

// The terminal event's Response, pretty-printed with two spaces as the API does; nothing when
// the stream has no terminal event.
std::optional<std::string> response_from_stream(const std::string& sse) {
  std::istringstream lines(sse);
  std::string line, data;
  std::optional<std::string> body;
  const auto dispatch = [&] {
    if (data.empty()) return;
    try {
      const auto event = parse_object(data);
      const std::string type = string_or(event, "type", "");
      if (type == "response.completed" || type == "response.incomplete" || type == "response.failed") {
        std::ostringstream out;
        Poco::JSON::Stringifier::stringify(event->getObject("response"), out, 2);
        body = out.str();
      }
    } catch (const Poco::Exception&) {
      // Not JSON: not a terminal event either.
    }
    data.clear();
  };
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) {
      dispatch();
    } else if (line.rfind("data:", 0) == 0) {
      std::string_view value = std::string_view(line).substr(5);
      if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      if (!data.empty()) data.push_back('\n');
      data.append(value);
    }
  }
  dispatch();
  return body;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

// ---- Built-in replies, when no fixtures directory is configured ----

std::string built_in_response(const RecordedRequest& request, const ResponsesRequest& parsed) {
  const int input_tokens = estimated_prompt_tokens(request);
  return fmt::format(
      "{{\n  \"id\": \"resp_fake{0}\",\n  \"object\": \"response\",\n  \"created_at\": {1},\n  \"status\": \"completed\",\n"
      "  \"background\": false,\n  \"error\": null,\n  \"incomplete_details\": null,\n  \"instructions\": {2},\n"
      "  \"max_output_tokens\": {3},\n  \"model\": {4},\n  \"output\": [\n    {{\n      \"id\": \"msg_fake{0}\",\n"
      "      \"type\": \"message\",\n      \"status\": \"completed\",\n      \"content\": [\n        {{\n"
      "          \"type\": \"output_text\",\n          \"annotations\": [],\n          \"logprobs\": [],\n"
      "          \"text\": {5}\n        }}\n      ],\n      \"role\": \"assistant\"\n    }}\n  ],\n"
      "  \"store\": false,\n  \"text\": {{\n    \"format\": {{\n      \"type\": \"text\"\n    }}\n  }},\n"
      "  \"usage\": {{\n    \"input_tokens\": {6},\n    \"input_tokens_details\": {{\n      \"cached_tokens\": 0\n    }},\n"
      "    \"output_tokens\": {7},\n    \"output_tokens_details\": {{\n      \"reasoning_tokens\": 0\n    }},\n"
      "    \"total_tokens\": {8}\n  }},\n  \"metadata\": {{}}\n}}",
      request.seq, unix_now(), parsed.instructions ? json_quote(*parsed.instructions) : std::string("null"),
      parsed.max_output_tokens ? std::to_string(*parsed.max_output_tokens) : std::string("null"),
      json_quote(parsed.model), json_quote(built_in_text), input_tokens, built_in_output_tokens,
      input_tokens + built_in_output_tokens);
}

// The Response of a model that calls a tool: one completed function_call item, status completed.
std::string built_in_tool_call_response(const RecordedRequest& request, const ResponsesRequest& parsed) {
  const PlannedToolCall& call = *parsed.tool_call;
  const int input_tokens = estimated_prompt_tokens(request);
  return fmt::format(
      "{{\n  \"id\": \"resp_fake{0}\",\n  \"object\": \"response\",\n  \"created_at\": {1},\n  \"status\": \"completed\",\n"
      "  \"background\": false,\n  \"error\": null,\n  \"incomplete_details\": null,\n  \"instructions\": {2},\n"
      "  \"max_output_tokens\": {3},\n  \"model\": {4},\n  \"output\": [\n    {{\n      \"id\": \"fc_fake{0}\",\n"
      "      \"type\": \"function_call\",\n      \"status\": \"completed\",\n      \"arguments\": {5},\n"
      "      \"call_id\": \"call_fake{0}\",\n      \"name\": {6}\n    }}\n  ],\n  \"parallel_tool_calls\": true,\n"
      "  \"store\": false,\n  \"text\": {{\n    \"format\": {{\n      \"type\": \"text\"\n    }}\n  }},\n"
      "  \"tool_choice\": \"auto\",\n"
      "  \"usage\": {{\n    \"input_tokens\": {7},\n    \"input_tokens_details\": {{\n      \"cached_tokens\": 0\n    }},\n"
      "    \"output_tokens\": {8},\n    \"output_tokens_details\": {{\n      \"reasoning_tokens\": 0\n    }},\n"
      "    \"total_tokens\": {9}\n  }},\n  \"metadata\": {{}}\n}}",
      request.seq, unix_now(), parsed.instructions ? json_quote(*parsed.instructions) : std::string("null"),
      parsed.max_output_tokens ? std::to_string(*parsed.max_output_tokens) : std::string("null"),
      json_quote(parsed.model), json_quote(call.arguments), json_quote(call.name), input_tokens,
      built_in_output_tokens, input_tokens + built_in_output_tokens);
}

ScriptedResponse json_body(std::string body) {
  ScriptedResponse response;
  response.content_type = "application/json";
  response.body = std::move(body);
  return response;
}

ScriptedResponse stream_body(std::string body) {
  ScriptedResponse response;
  response.content_type = "text/event-stream; charset=utf-8";  // as recorded (PROTOCOLS.md §0.3)
  response.body = std::move(body);
  return response;
}

class OpenAIResponsesProtocol final : public OpenAIFamilyProtocol {
public:
  OpenAIResponsesProtocol()
      : OpenAIFamilyProtocol("openai-responses", responses_path, OpenAIErrorLayout::responses) {}

  ScriptedResponse default_response(const RecordedRequest& request, const FakeServerOptions& options) const override {
    ResponsesRequest parsed;
    try {
      parsed = parse_request(request.body);
    } catch (const Poco::Exception&) {
      return openai_invalid_json(OpenAIErrorLayout::responses);
    }
    if (parsed.max_output_tokens && *parsed.max_output_tokens < min_output_tokens) {
      return openai_error(400,
                          fmt::format("Invalid 'max_output_tokens': integer below minimum value. Expected a value >= "
                                      "{}, but got {} instead.",
                                      min_output_tokens, *parsed.max_output_tokens),
                          "invalid_request_error", "integer_below_min_value", OpenAIErrorLayout::responses);
    }
    if (parsed.tool_call) {
      // The stream is built from the same Response: output_item.added, two argument deltas,
      // function_call_arguments.done, output_item.done, response.completed (stream_from_response).
      std::string body = built_in_tool_call_response(request, parsed);
      return parsed.stream ? stream_body(stream_from_response(body)) : json_body(std::move(body));
    }
    const std::string_view fixture = parsed.stream ? responses_stream_fixture : responses_fixture;
    if (fixture_exists(options, fixture)) return fixture_reply(fixture);
    std::string body = built_in_response(request, parsed);
    return parsed.stream ? stream_body(stream_from_response(body)) : json_body(std::move(body));
  }

  // A `responses*` fixture (not an error one) is served in the form the request asked for: a
  // JSON body as the stream that would have produced it, a stream as its terminal Response.
  ScriptedResponse adapt_scripted(const RecordedRequest& request, ScriptedResponse response,
                                  const FakeServerOptions& options) const override {
    if (!response.body.empty() || response.fixture.empty() || response.status != 200) return response;
    const std::string name = std::filesystem::path(response.fixture).filename().string();
    if (name.rfind("responses", 0) != 0 || status_from_fixture_name(response.fixture) != 0) return response;
    const bool json_fixture = ends_with(name, ".json");
    const bool stream_fixture = ends_with(name, ".sse");
    try {
      const bool stream = parse_request(request.body).stream;
      if (!(stream ? json_fixture : stream_fixture)) return response;
      const std::string text = read_file(fixture_file(options.fixtures_dir, response.fixture));
      ScriptedResponse adapted;
      if (stream) {
        adapted = stream_body(stream_from_response(text));
      } else {
        auto body = response_from_stream(text);
        if (!body) return response;
        adapted = json_body(std::move(*body));
      }
      // Everything else the script asked for (headers, splits, cuts, stalls) still applies.
      adapted.headers = std::move(response.headers);
      adapted.split_at = std::move(response.split_at);
      adapted.cut_after = response.cut_after;
      adapted.stall_before_head = response.stall_before_head;
      adapted.stall_after = response.stall_after;
      adapted.stall_for = response.stall_for;
      return adapted;
    } catch (const Poco::Exception&) {
      return response;  // served as it is; the client sees what the fixture holds
    } catch (const FixtureError&) {
      return response;  // the server reports the missing fixture when it plans the response
    }
  }
};

}  // namespace

std::unique_ptr<ProviderProtocol> make_openai_responses_protocol() {
  return std::make_unique<OpenAIResponsesProtocol>();
}

}  // namespace majordomo::fake
