// `majordomo chat`: an interactive conversation on standard input, streamed, with /system, /image, /reset and tool results typed in.
#include "commands.hpp"
#include "conversation_arguments.hpp"
#include "llm_route.hpp"
#include "safe_output.hpp"

#include <majordomo/majordomo.hpp>

#include <fmt/format.h>

#include <cstddef>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

namespace majordomo::cli {
namespace {

// A line longer than this is refused rather than held: a file piped in by mistake.
constexpr std::size_t kMaxLineBytes = 1u << 20;
// Tool rounds one message may start before chat stops asking for results: a model that keeps
// calling tools must not hold the conversation forever.
constexpr int kMaxToolRounds = 8;

constexpr std::string_view kHelp =
    "commands: /system TEXT (set the system prompt), /image PATH_OR_URL (attach to the next message), "
    "/reset (forget the conversation), /help, /exit; anything else is your message\n";

class ChatSession {
 public:
  // `base` carries the conversation so far (--messages) and what every turn repeats.
  ChatSession(std::shared_ptr<majordomo::LLM> llm, majordomo::LLMRequest base, std::string system)
      : llm_(std::move(llm)), base_(std::move(base)), interactive_(isatty(STDIN_FILENO) == 1),
        system_(std::move(system)), history_(std::move(base_.messages)) {
    base_.messages.clear();
  }

  int run() {
    if (interactive_) print_message(fmt::format("chat with {}:{}; /help for commands", llm_->provider(), llm_->model()));
    while (std::optional<std::string> line = read_line("you> ")) {
      if (line->empty()) continue;
      if (line->front() == '/') {
        if (!command(*line)) break;
        continue;
      }
      say(std::move(*line));
    }
    return 0;
  }

 private:
  // One line of standard input; nothing at its end.
  std::optional<std::string> read_line(std::string_view prompt) {
    if (interactive_) {
      std::cerr << prompt;
      std::cerr.flush();
    }
    // Read a byte at a time up to the bound, so that input without line breaks never grows memory.
    std::string line;
    bool too_long = false;
    int c = 0;
    while ((c = std::cin.get()) != std::char_traits<char>::eof() && c != '\n') {
      if (line.size() < kMaxLineBytes) line.push_back(static_cast<char>(c)); else too_long = true;
    }
    if (c == std::char_traits<char>::eof() && line.empty() && !too_long) return std::nullopt;
    if (too_long) {
      print_message(fmt::format("a line of more than {} bytes is more than chat takes; it was not sent", kMaxLineBytes));
      return std::string();
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
  }

  // false: end the session.
  bool command(const std::string& line) {
    const std::size_t space = line.find(' ');
    const std::string name = line.substr(0, space);
    const std::string rest = space == std::string::npos ? std::string() : line.substr(space + 1);
    if (name == "/exit" || name == "/quit") return false;
    if (name == "/help") {
      write_stdout(std::string(kHelp));
    } else if (name == "/system") {
      system_ = rest;
      print_message(rest.empty() ? "system prompt cleared" : "system prompt set");
    } else if (name == "/reset") {
      history_.clear();
      images_.clear();
      print_message("conversation reset");
    } else if (name == "/image") {
      try {
        images_.push_back(image_part(rest, "/image"));
        print_message(fmt::format("image attached to your next message ({} in all)", images_.size()));
      } catch (const UsageError& error) {
        print_message(error.message);
      }
    } else {
      print_message(fmt::format("unknown command {}; /help lists them", name.substr(0, 32)));
    }
    return true;
  }

  void say(std::string text) {
    majordomo::Message message = majordomo::Message::user(std::move(text));
    for (auto& image : images_) message.parts.push_back(std::move(image));
    images_.clear();
    const std::size_t before = history_.size();
    history_.push_back(std::move(message));
    try {
      for (int round = 0; round <= kMaxToolRounds; ++round) {
        const majordomo::Response answer = ask();
        history_.push_back(majordomo::Message::assistant(answer));
        if (answer.tool_calls.empty()) return;
        if (round == kMaxToolRounds || !answer_tool_calls(answer)) {
          // Calls left unanswered would make every later request invalid: the turn is forgotten.
          history_.resize(before);
          print_message(round == kMaxToolRounds ? "the model kept calling tools; this message was forgotten"
                                                : "input ended before every tool result; this message was forgotten");
          return;
        }
      }
    } catch (const majordomo::Error& error) {
      // The failed turn is forgotten, so the conversation can go on from where it was.
      history_.resize(before);
      print_message(fmt::format("{} error: {}", majordomo::to_string(error.kind()), error.details().message));
    }
  }

  // Streams one answer to stdout and returns it.
  majordomo::Response ask() {
    majordomo::LLMRequest request = base_;
    request.messages = history_;
    if (!system_.empty()) request.options.system = system_;
    learn_secrets(llm_->resolve(request, true));
    majordomo::ResponseStream stream = llm_->stream(request);
    StreamPrinter printer;
    majordomo::StreamChunk chunk;
    while (stream.next(chunk)) {
      if (chunk.kind == majordomo::StreamChunk::Kind::text) printer.print(chunk.text, stream.response());
    }
    const majordomo::Response& answer = stream.response();
    printer.finish(answer);
    if (!answer.content.empty()) write_stdout("\n", answer);
    return answer;
  }

  // Prints each call and reads its result from the user; false when input ended.
  bool answer_tool_calls(const majordomo::Response& answer) {
    for (const majordomo::ToolCall& call : answer.tool_calls) {
      std::string line = fmt::format("tool call {}{}: {}", call.name, call.id.empty() ? "" : " [" + call.id + "]",
                                     call.arguments);
      if (call.problem != majordomo::ToolCallProblem::none) {
        line += fmt::format(" ({}: {})", majordomo::to_string(call.problem), call.problem_detail);
      }
      write_stdout(printable_answer(line) + "\n", answer);
      const std::optional<std::string> result = read_line(fmt::format("result of {}> ", call.name));
      if (!result) return false;
      history_.push_back(majordomo::Message::tool_result(call, *result));
    }
    return true;
  }

  std::shared_ptr<majordomo::LLM> llm_;
  majordomo::LLMRequest base_;  // tools, options and headers every turn repeats
  bool interactive_;
  std::string system_;
  std::vector<majordomo::Message> history_;
  std::vector<majordomo::ContentPart> images_;  // for the next message
};

}  // namespace

int run_chat(const Arguments& args) {
  check_route(args);
  if (!args.positional.empty()) throw UsageError{"chat reads its messages from standard input: give no PROMPT"};
  if (args.dry_run || args.json_output || args.json || args.schema_file) {
    throw UsageError{"chat takes neither --dry-run, --output json, --json nor --schema: use ask for those"};
  }
  if (!args.images.empty()) throw UsageError{"chat attaches images with /image PATH_OR_URL, not --image"};
  const majordomo::Host host(host_options(args));
  learn_secrets(args, &host);
  std::shared_ptr<majordomo::LLM> llm = route_llm(args, host, client_options(args));
  majordomo::LLMRequest base;
  apply_conversation_arguments(args, base);  // --messages (the conversation so far), tools, reasoning
  base.options.max_tokens = args.max_tokens;
  base.options.temperature = args.temperature;
  base.options.top_p = args.top_p;
  for (const auto& [name, value] : args.request_headers) base.options.extra_headers.set(name, value);
  ChatSession session(std::move(llm), std::move(base), args.system.value_or(""));
  return session.run();
}

}  // namespace majordomo::cli
