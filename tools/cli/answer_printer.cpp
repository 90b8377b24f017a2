// PrintingLLM: the answer of `ask` printed inside the call (text, streamed text, checked JSON, --output json).
#include "answer_printer.hpp"

#include "json_output.hpp"
#include "safe_output.hpp"

#include <majordomo/logging.hpp>

#include <utility>

namespace majordomo::cli {
namespace {

// (0.5) Text output: one line per tool call after the answer text, "tool call NAME [ID]: ARGUMENTS",
// and what is wrong with it, if anything.
void print_tool_calls(const majordomo::Response& answer) {
  for (const majordomo::ToolCall& call : answer.tool_calls) {
    std::string line = "tool call " + call.name;
    if (!call.id.empty()) line += " [" + call.id + "]";
    line += ": " + call.arguments;
    if (call.problem != majordomo::ToolCallProblem::none) {
      line += " (" + std::string(majordomo::to_string(call.problem)) + ": " + call.problem_detail + ")";
    }
    write_stdout(printable_answer(line) + "\n", answer);
  }
}

void print_answer_line(std::string_view text, const majordomo::Response& answer) {
  // A turn of tool calls only has no text: no empty line before the calls.
  if (!text.empty() || answer.tool_calls.empty()) write_stdout(printable_answer(text) + "\n", answer);
  print_tool_calls(answer);
}

// After a streamed answer ended: the check of --schema or --json (as the caller of a stream does
// it), and the --output json object.
void deliver_end(const AnswerPlan& plan, const majordomo::Response& response) {
  if (plan.schema != nullptr) {
    const majordomo::JsonResponse checked = plan.schema->check(response);
    if (plan.json_output) write_stdout(response_json(checked.response, checked.json_text) + "\n", response);
  } else if (plan.json) {
    const majordomo::JsonResponse parsed = majordomo::parse_json_response(response);
    if (plan.json_output) write_stdout(response_json(parsed.response, parsed.json_text) + "\n", response);
  } else if (plan.json_output) {
    write_stdout(response_json(response, response.content) + "\n", response);
  }
}

// Passes the inner stream through, printing each piece of text as it arrives (text output).
class PrintingStreamSource final : public majordomo::StreamSource {
 public:
  PrintingStreamSource(AnswerPlan plan, majordomo::ResponseStream inner)
      : plan_(plan), inner_(std::move(inner)) {}

  bool next(majordomo::StreamChunk& chunk) override {
    bool more = false;
    try {
      more = inner_.next(chunk);
    } catch (const majordomo::Error&) {
      end_text_line();  // the text so far ends its line before the error message
      throw;
    }
    const majordomo::Response& response = inner_.response();
    if (more) {
      if (!plan_.json_output && chunk.kind == majordomo::StreamChunk::Kind::text) printer_.print(chunk.text, response);
      return true;
    }
    if (!plan_.json_output) {
      printer_.finish(response);
      if (!response.content.empty() || response.tool_calls.empty()) write_stdout("\n", response);
      print_tool_calls(response);
    }
    deliver_end(plan_, response);
    return false;
  }

  const majordomo::Response& response() const override { return inner_.response(); }
  void close() noexcept override { inner_.close(); }

 private:
  void end_text_line() noexcept {
    if (plan_.json_output || inner_.response().content.empty()) return;
    try {
      printer_.finish(inner_.response());
      write_stdout("\n", inner_.response());
    } catch (const std::exception&) {  // the call's own error is the one to report
    }
  }

  AnswerPlan plan_;
  majordomo::ResponseStream inner_;
  StreamPrinter printer_;
};

}  // namespace

majordomo::Response PrintingLLM::complete(const majordomo::LLMRequest& request) {
  if (request.check_answer) {
    // A checked answer (--schema) is printed from inside its check, once it passed, so that a
    // cascade beneath may still move on from one that fails.
    majordomo::LLMRequest printing = request;
    printing.check_answer = [this, earlier = request.check_answer](const majordomo::Response& answer) {
      earlier(answer);
      // The text as checked (a schema check may drop optional nulls); checking again is cheap next
      // to the call, and keeps the check itself the caller's.
      const std::string json_text = plan_.schema != nullptr ? plan_.schema->check(answer).json_text
                                                            : std::string(majordomo::strip_json_fences(answer.content));
      if (plan_.json_output) {
        write_stdout(response_json(answer, json_text) + "\n", answer);
      } else {
        print_answer_line(json_text, answer);
      }
    };
    return inner()->complete(printing);
  }
  majordomo::Response response = inner()->complete(request);
  if (!plan_.json_output) {
    print_answer_line(response.content, response);
    // --json: the text is shown even when it turns out not to be JSON.
    if (plan_.json) (void)majordomo::parse_json_response(response);
  } else if (plan_.json) {
    const majordomo::JsonResponse parsed = majordomo::parse_json_response(response);
    write_stdout(response_json(parsed.response, parsed.json_text) + "\n", response);
  } else {
    write_stdout(response_json(response, response.content) + "\n", response);
  }
  return response;
}

majordomo::ResponseStream PrintingLLM::stream(const majordomo::LLMRequest& request) {
  return majordomo::ResponseStream(std::make_unique<PrintingStreamSource>(plan_, inner()->stream(request)));
}

}  // namespace majordomo::cli
