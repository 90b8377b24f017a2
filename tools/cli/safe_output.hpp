// How the CLI writes: every credential it knows scrubbed, server text harmless to terminals and JSON, failed writes reported.
#pragma once

#include "arguments.hpp"

#include "secret_values.hpp"

#include <majordomo/majordomo.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace majordomo::cli {

// The credentials of this run, learnt as the command learns them. Process-wide: one command per
// process, one thread writing.
SecretValues& known_secrets();

// --api-key, the values of credential headers among --header/--request-header, the user info of
// --proxy and of the *_proxy variables, the password of a --log/--db PostgreSQL target, and the
// API-key variable of every loaded plugin.
void learn_secrets(const Arguments& args, const majordomo::Host* host);
// The credentials of requests as they would be sent (their real header values).
void learn_secrets(const std::vector<majordomo::ResolvedRequest>& requests);

// True when standard output is a terminal: the answer text is then escaped like server text.
bool stdout_is_terminal();

// Free text for a JSON string: scrubbed, valid UTF-8 (invalid bytes become U+FFFD).
std::string json_text(std::string_view text);
// A whole value (request id, model, header value) for a JSON string: [REDACTED] when it holds a
// credential, else as json_text.
std::string json_value(std::string_view value);

// One message on stderr, "majordomo: <message>": scrubbed, control characters escaped, and each
// line after the first indented with "  | " so that a server's text cannot pass for a line of ours.
void print_message(std::string_view message);

// The answer text as it may be printed: scrubbed, and escaped (newlines and tabs kept) when stdout
// is a terminal.
std::string printable_answer(std::string_view text);

// Writes `bytes` to stdout and flushes. Throws DeliveryError (with `answer`, for the call log) when
// the write fails: a full disk, a closed pipe (SIGPIPE is ignored by main), any other error.
void write_stdout(std::string_view bytes, const majordomo::Response& answer = {});

// A streamed answer printed piece by piece: scrubbed across piece boundaries (a tail that could
// still begin a credential is held back until the next piece or the end; anything else prints at once) and escaped for a
// terminal without splitting a UTF-8 sequence.
class StreamPrinter {
 public:
  void print(std::string_view piece, const majordomo::Response& answer);
  void finish(const majordomo::Response& answer);

 private:
  static constexpr std::size_t kContextBytes = 64;
  void emit(std::size_t end, bool complete, const majordomo::Response& answer);
  std::string pending_;         // received, not yet scrubbed nor printed
  std::string printed_ = "\n";  // the last bytes printed: context for a credential at the start of pending_
  std::string work_;            // reused for each piece
};

}  // namespace majordomo::cli
