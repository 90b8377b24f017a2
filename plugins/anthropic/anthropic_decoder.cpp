// The Anthropic plugin's response decoder: Messages JSON bodies and SSE events, text, thinking, tool calls, errors.
#include "anthropic_decoder.hpp"

#include "anthropic_wire.hpp"

#include <majordomo/sdk/errors.hpp>
#include <majordomo/sdk/http.hpp>
#include <majordomo/sdk/json_fields.hpp>
#include <majordomo/sdk/json_read.hpp>
#include <majordomo/sdk/json_writer.hpp>
#include <majordomo/sdk/provider_support.hpp>
#include <majordomo/sdk/sse.hpp>

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace majordomo::anthropic {
namespace {

using sdk::read_optional_string;

// More calls than any model makes in one answer: a server sending more is broken or hostile.
constexpr std::size_t kMaxToolCalls = 1024;
// Blocks open at once in a stream; the API streams one block at a time.
constexpr std::size_t kMaxOpenBlocks = 1024;
// Thinking blocks in one answer: a model writes a handful.
constexpr std::size_t kMaxContinuationItems = 1024;
// One thinking block's text and signature together: far above a 128K-token output. All blocks
// of an answer together, gathered or emitted, are bounded by the sink's RetainedBytesBudget.
constexpr std::size_t kMaxThinkingBlockBytes = std::size_t{32} << 20;

// Continuation items are the blocks as the API sends them back: a thinking block with its
// signature, a redacted_thinking block with its data (docs/providers.md).
std::string thinking_item(std::string_view thinking, std::string_view signature) {
  std::string item;
  sdk::JsonWriter json(item);
  json.raw(R"({"type":"thinking","thinking":)").string(thinking).raw(R"(,"signature":)").string(signature).raw("}");
  return item;
}

std::string redacted_thinking_item(std::string_view data) {
  std::string item;
  sdk::JsonWriter json(item);
  json.raw(R"({"type":"redacted_thinking","data":)").string(data).raw("}");
  return item;
}

class MessagesDecoder final : public sdk::ResponseDecoder {
 public:
  MessagesDecoder(sdk::ParserPool::Lease parser, bool tool_answer)
      : parser_(std::move(parser)), tool_answer_(tool_answer) {}

  std::string_view request_id_header() const override { return "request-id"; }

  void on_body(std::string_view body, sdk::EventSink& sink) override {
    ondemand::document document;
    ondemand::object root =
        sdk::open_root_object(*parser_, body, document, kDisplayName, "response");

    std::string_view model;
    std::string_view stop_reason;
    std::string_view request_id;
    bool has_model = false;
    bool has_stop_reason = false;
    bool has_request_id = false;
    bool has_content = false;
    WireUsage usage;
    bool has_usage = false;
    ErrorFields error_fields;
    bool has_error = false;
    sdk::read_root_fields(root, kDisplayName, "response", [&](ondemand::raw_json_string key, ondemand::value& field) {
      if (key == "model") return read_optional_string(field, model, has_model);
      if (key == "content") {
        // Emitted while iterating: the views live in the parser's string buffer until the next
        // document, and the blocks' order is the answer's order.
        has_content = true;  // anything but an array fails the walk below
        return sdk::for_each_element(field, [&](ondemand::value& block) {
          TextFields fields;
          if (auto error = read_text_fields(block, fields)) return error;
          emit_text_fields(fields, sink, tool_answer_);
          emit_body_block(fields, sink);
          return simdjson::SUCCESS;
        });
      }
      if (key == "stop_reason") return read_optional_string(field, stop_reason, has_stop_reason);
      if (key == "usage") return read_usage(field, usage, has_usage);
      if (key == "error") return read_error(field, error_fields, has_error);
      if (key == "request_id") return read_optional_string(field, request_id, has_request_id);
      return simdjson::SUCCESS;
    });
    if (has_error) throw_in_band_error(error_fields, request_id, "response");
    if (!has_content) {
      throw sdk::ProviderError(MJ_ERR_PARSE, "Anthropic response has no content array");
    }

    if (has_model && !model.empty()) sink.meta({}, model);
    if (has_stop_reason) sink.stop(stop_kind(stop_reason), stop_reason);
    if (has_usage) sink.usage(usage.normalised());
  }

  bool on_event(const sdk::SseEvent& event, sdk::EventSink& sink) override {
    if (event.type == "ping" || event.data.empty()) return true;

    ondemand::document document;
    ondemand::object root =
        sdk::open_root_object(*parser_, event.data, document, kDisplayName, "stream event");

    // Fields are collected first and acted on afterwards: JSON does not promise that "type"
    // comes before the fields it gives meaning to.
    std::string_view type;
    bool has_type = false;
    std::string_view model;
    bool has_model = false;
    WireUsage usage;
    bool has_usage = false;
    TextFields block;  // content_block of content_block_start
    TextFields delta;  // delta of content_block_delta and message_delta
    ErrorFields error_fields;
    bool has_error = false;
    std::string_view request_id;
    bool has_request_id = false;
    int64_t index = 0;  // content_block_*: the block's number in the message
    sdk::read_root_fields(root, kDisplayName, "stream event",
        [&](ondemand::raw_json_string key, ondemand::value& field) {
      if (key == "type") return read_optional_string(field, type, has_type);
      if (key == "index") return field.get_int64().get(index);
      if (key == "message") return read_message_start(field, model, has_model, usage, has_usage);
      if (key == "content_block") return read_text_fields(field, block);
      if (key == "delta") return read_text_fields(field, delta);
      if (key == "usage") return read_usage(field, usage, has_usage);
      if (key == "error") return read_error(field, error_fields, has_error);
      if (key == "request_id") return read_optional_string(field, request_id, has_request_id);
      return simdjson::SUCCESS;
    });
    // The data's type is authoritative; the `event:` line names the same thing.
    const std::string_view name = has_type ? type : event.type;

    if (name == "content_block_delta") {
      emit_text_fields(delta, sink, tool_answer_);
      on_block_delta(index, delta, sink);
    } else if (name == "content_block_start") {
      block.input = {};  // a streamed tool_use starts with an empty input; the deltas carry it
      emit_text_fields(block, sink, tool_answer_);
      on_block_start(index, block, sink);
    } else if (name == "content_block_stop") {
      on_block_stop(index, sink);
    } else if (name == "message_start") {
      if (has_model && !model.empty()) sink.meta({}, model);
      if (has_usage) {
        usage_.merge(usage);
        sink.usage(usage_.normalised());
      }
    } else if (name == "message_delta") {
      if (delta.has_stop_reason) {
        sink.stop(stop_kind(delta.stop_reason), delta.stop_reason);
      }
      if (has_usage) {
        usage_.merge(usage);  // cumulative counts: a merge, never a sum
        sink.usage(usage_.normalised());
      }
    } else if (name == "message_stop") {
      return false;
    } else if (name == "error" || has_error) {
      // After HTTP 200 an error event ends the stream without message_stop: never a success.
      throw_in_band_error(error_fields, request_id, "stream");
    }
    return true;  // ping with data, and event types added later
  }

  void on_stream_end(bool terminator_seen, sdk::EventSink& /*sink*/) override {
    if (!terminator_seen) {
      throw sdk::ProviderError(
          MJ_ERR_CONNECTION,
          "Anthropic stream ended before message_stop: the connection was closed mid-response");
    }
  }

  [[noreturn]] void on_error_status(const sdk::HttpExchange& exchange,
                                    std::string_view body) override {
    const int status = exchange.status();
    const int32_t status_kind = sdk::error_kind_for_http_status(status);
    const int64_t retry_after = sdk::retry_after_ms(exchange);

    sdk::ErrorBody error_body(body);
    ErrorFields fields;
    bool parsed = false;
    std::string_view body_request_id;
    bool has_body_request_id = false;
    ondemand::object root;
    if (error_body.open_object(*parser_, root)) {
      // The walk stops at the first unreadable field; what was read by then is used.
      (void)sdk::for_each_field(root, [&](ondemand::raw_json_string key, ondemand::value& field) {
        if (key == "error") {
          parsed = sdk::read_error_object(field, fields) == simdjson::SUCCESS &&
                   (fields.has_message || fields.has_type);
        } else if (key == "request_id") {
          return read_optional_string(field, body_request_id, has_body_request_id);
        }
        return simdjson::SUCCESS;
      });
    }

    // The body and the header carry the same id; the body survives proxies that drop headers.
    std::string request_id(has_body_request_id && !body_request_id.empty()
                               ? body_request_id
                               : exchange.header("request-id"));
    std::string message = sdk::error_status_message(
        kDisplayName, status, body,
        parsed ? std::optional<std::string_view>(
                     fields.has_message && !fields.message.empty() ? fields.message : fields.type)
               : std::nullopt);
    throw sdk::ProviderError(parsed ? error_kind_for_type(fields.type, status_kind) : status_kind,
                             std::move(message), status,
                             parsed ? std::string(fields.type) : std::string{},
                             std::move(request_id), retry_after);
  }

 private:
  // A block of a stream still receiving deltas whose content is more than text: a tool call
  // (numbered densely from 0, whatever the block indexes) or thinking, gathered for its
  // continuation item.
  struct OpenBlock {
    enum class Kind { tool_call, thinking, redacted_thinking };
    int64_t index = 0;
    Kind kind = Kind::tool_call;
    int32_t call = 0;
    std::string thinking{}, signature{}, data{};

    std::size_t gathered_bytes() const noexcept { return thinking.size() + signature.size() + data.size(); }
  };

  // A body's tool_use, thinking and redacted_thinking blocks, each whole.
  void emit_body_block(const TextFields& fields, sdk::EventSink& sink) {
    if (fields.type == "tool_use" && !tool_answer_) {
      const int32_t call = next_call(fields);
      sink.tool_call_start(call, fields.id, fields.name, fields.input);
      sink.tool_call_end(call);
    } else if (fields.type == "thinking") {
      emit_continuation(thinking_item(fields.thinking, fields.signature), sink);
    } else if (fields.type == "redacted_thinking") {
      emit_continuation(redacted_thinking_item(fields.data), sink);
    }
  }

  // The number of the next tool call, after checking the block can be one.
  int32_t next_call(const TextFields& fields) {
    if (fields.name.empty()) {
      throw sdk::ProviderError(MJ_ERR_PARSE, fmt::format("Anthropic tool_use block {} has no tool name", calls_));
    }
    if (calls_ == kMaxToolCalls) {
      throw sdk::ProviderError(MJ_ERR_PARSE,
                               fmt::format("Anthropic sent more than {} tool calls in one answer", kMaxToolCalls));
    }
    return static_cast<int32_t>(calls_++);
  }

  // The sink keeps a view of the item until the host has read it, so the decoder keeps the text.
  void emit_continuation(std::string item, sdk::EventSink& sink) {
    if (continuation_items_.size() == kMaxContinuationItems) {
      throw sdk::ProviderError(MJ_ERR_PARSE, fmt::format("Anthropic sent more than {} thinking blocks in one answer",
                                                         kMaxContinuationItems));
    }
    sink.continuation(continuation_items_.emplace_back(std::move(item)));
  }

  OpenBlock* open_block(int64_t index) noexcept {
    const auto found = std::find_if(open_blocks_.begin(), open_blocks_.end(),
                                     [&](const OpenBlock& block) { return block.index == index; });
    return found == open_blocks_.end() ? nullptr : &*found;
  }

  void on_block_start(int64_t index, const TextFields& block, sdk::EventSink& sink) {
    OpenBlock open;
    open.index = index;
    if (block.type == "tool_use" && !tool_answer_) {
      open.call = next_call(block);
    } else if (block.type == "thinking") {
      sink.retained().charge(block.thinking.size() + block.signature.size());
      open.kind = OpenBlock::Kind::thinking;
      open.thinking.assign(block.thinking);
      open.signature.assign(block.signature);
    } else if (block.type == "redacted_thinking") {
      sink.retained().charge(block.data.size());
      open.kind = OpenBlock::Kind::redacted_thinking;
      open.data.assign(block.data);
    } else {
      return;  // text and block types read from their deltas, or not at all
    }
    if (open_block(index) != nullptr || open_blocks_.size() == kMaxOpenBlocks) {
      sink.retained().refund(open.gathered_bytes());
      throw sdk::ProviderError(MJ_ERR_PARSE, fmt::format("Anthropic stream started content block {} while it or "
                                                         "{} others were still open",
                                                         index, kMaxOpenBlocks));
    }
    open_blocks_.push_back(std::move(open));
    if (open_blocks_.back().kind == OpenBlock::Kind::tool_call) {
      sink.tool_call_start(open_blocks_.back().call, block.id, block.name, {});
    }
  }

  void on_block_delta(int64_t index, const TextFields& delta, sdk::EventSink& sink) {
    const std::string_view type = delta.type;
    if (type == "input_json_delta" && !tool_answer_) {
      OpenBlock* open = open_block(index);
      if (open == nullptr || open->kind != OpenBlock::Kind::tool_call) {
        throw sdk::ProviderError(MJ_ERR_PARSE, fmt::format("Anthropic stream sent tool input for content block {}, "
                                                           "which is not an open tool_use block",
                                                           index));
      }
      if (!delta.partial_json.empty()) sink.tool_call_arguments(open->call, delta.partial_json);
      return;
    }
    if (type != "thinking_delta" && type != "signature_delta") return;
    OpenBlock* open = open_block(index);
    if (open == nullptr || open->kind != OpenBlock::Kind::thinking) return;  // the reasoning text is out already
    std::string& gathered = type == "thinking_delta" ? open->thinking : open->signature;
    const std::string_view piece = type == "thinking_delta" ? delta.thinking : delta.signature;
    if (open->thinking.size() + open->signature.size() + piece.size() > kMaxThinkingBlockBytes) {
      throw sdk::ProviderError(MJ_ERR_PARSE, fmt::format("Anthropic thinking block {} is larger than {} MiB",
                                                         index, kMaxThinkingBlockBytes >> 20));
    }
    sink.retained().charge(piece.size());
    gathered.append(piece);
  }

  // A tool call's arguments are complete; thinking becomes one continuation item. A tool_use
  // block the max_tokens cap cut gets no stop: its call stays without END, which the host
  // reports as cut off.
  void on_block_stop(int64_t index, sdk::EventSink& sink) {
    OpenBlock* open = open_block(index);
    if (open == nullptr) return;
    // The item built below is charged as it is emitted; the gathered copy is freed with the block.
    sink.retained().refund(open->gathered_bytes());
    switch (open->kind) {
      case OpenBlock::Kind::tool_call: sink.tool_call_end(open->call); break;
      case OpenBlock::Kind::thinking: emit_continuation(thinking_item(open->thinking, open->signature), sink); break;
      case OpenBlock::Kind::redacted_thinking: emit_continuation(redacted_thinking_item(open->data), sink); break;
    }
    open_blocks_.erase(open_blocks_.begin() + (open - open_blocks_.data()));
  }

  // A forced tool call is how a structured answer ends, not a request to run a tool.
  int32_t stop_kind(std::string_view reason) const noexcept {
    if (tool_answer_ && reason == "tool_use") return MJ_STOP_END_TURN;
    return normalise_stop_reason(reason);
  }

  // message_start's `message`: a Message with empty content; only its model and usage matter.
  static simdjson::error_code read_message_start(ondemand::value& value, std::string_view& model,
                                                 bool& has_model, WireUsage& usage,
                                                 bool& has_usage) {
    return sdk::for_each_field(value, [&](ondemand::raw_json_string key, ondemand::value& field) {
      if (key == "model") return read_optional_string(field, model, has_model);
      if (key == "usage") return read_usage(field, usage, has_usage);
      return simdjson::SUCCESS;
    });
  }

  sdk::ParserPool::Lease parser_;  // from the instance's pool: buffers survive between calls
  bool tool_answer_;  // a forced-tool structured call: the tool's input is the answer text
  WireUsage usage_;  // the stream's running counts: message_start's input side, then deltas
  std::size_t calls_ = 0;  // tool calls started so far
  std::vector<OpenBlock> open_blocks_;
  std::deque<std::string> continuation_items_;  // a deque: the sink's views must stay valid
};

}  // namespace

std::unique_ptr<sdk::ResponseDecoder> make_messages_decoder(sdk::ParserPool::Lease parser, bool tool_answer) {
  return std::make_unique<MessagesDecoder>(std::move(parser), tool_answer);
}

}  // namespace majordomo::anthropic
