// The CLI's output rules: credentials scrubbed by value, server text escaped, UTF-8 repaired, failed writes made errors.
#include "safe_output.hpp"

#include "log_text.hpp"
#include "resolution.hpp"

#include <majordomo/logging.hpp>

#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace majordomo::cli {
namespace {

void learn_target(std::string_view target) {
  SecretValues& secrets = known_secrets();
  secrets.add_url_userinfo(target);
  // Credentials in the query: password=, sslpassword=, …
  const auto query = target.find('?');
  if (query == std::string_view::npos) return;
  std::string_view rest = target.substr(query + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    if (const auto eq = pair.find('='); eq != std::string_view::npos) {
      std::string key(pair.substr(0, eq));
      std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (key.find("pass") != std::string::npos || key.find("secret") != std::string::npos ||
          key.find("token") != std::string::npos || key.find("key") != std::string::npos) {
        secrets.add(pair.substr(eq + 1));
      }
    }
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
}

}  // namespace

SecretValues& known_secrets() {
  static SecretValues secrets;
  return secrets;
}

void learn_secrets(const Arguments& args, const majordomo::Host* host) {
  SecretValues& secrets = known_secrets();
  if (args.api_key) secrets.add(*args.api_key);
  for (const auto* list : {&args.headers, &args.request_headers}) {
    for (const auto& [name, value] : *list) secrets.add_header(name, value);
  }
  if (args.proxy) secrets.add_url_userinfo(*args.proxy);
  for (const char* name : {"https_proxy", "HTTPS_PROXY", "http_proxy", "all_proxy", "ALL_PROXY"}) {
    if (const char* value = std::getenv(name); value != nullptr) secrets.add_url_userinfo(value);
  }
  if (args.log_target) learn_target(*args.log_target);
  if (args.log_db) learn_target(*args.log_db);
  if (host != nullptr) {
    for (const auto& plugin : host->plugins()) {
      if (plugin.api_key_env.empty()) continue;
      if (const char* key = std::getenv(plugin.api_key_env.c_str()); key != nullptr) secrets.add(key);
    }
  }
}

void learn_secrets(const std::vector<majordomo::ResolvedRequest>& requests) {
  for (const auto& request : requests) known_secrets().add_headers(request.headers, request.auth_header);
}

bool stdout_is_terminal() {
  static const bool terminal = ::isatty(STDOUT_FILENO) == 1;
  return terminal;
}

std::string json_text(std::string_view text) { return log_text::valid_utf8(known_secrets().scrubbed(text)); }

std::string json_value(std::string_view value) {
  return log_text::valid_utf8(known_secrets().scrubbed_value(value));
}

void print_message(std::string_view message) {
  const std::string escaped = log_text::escape_controls(known_secrets().scrubbed(message), true);
  std::string line = "majordomo: ";
  for (const char c : escaped) {
    line += c;
    if (c == '\n') line += "  | ";
  }
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

std::string printable_answer(std::string_view text) {
  std::string scrubbed = known_secrets().scrubbed(text);
  return stdout_is_terminal() ? log_text::escape_controls(scrubbed, true) : scrubbed;
}

void write_stdout(std::string_view bytes, const majordomo::Response& answer) {
  errno = 0;
  const bool written = std::fwrite(bytes.data(), 1, bytes.size(), stdout) == bytes.size();
  const bool flushed = written && std::fflush(stdout) == 0;
  if (written && flushed && !std::ferror(stdout)) return;
  const int error = errno;
  const std::string why = error == EPIPE ? "the reader closed it (broken pipe)"
                          : error != 0   ? std::string(std::strerror(error))
                                         : std::string("write error");
  std::clearerr(stdout);
  throw majordomo::DeliveryError(
      fmt::format("cannot write to standard output: {}; {}", why,
                  answer.provider.empty() ? "the output is incomplete"
                                          : "the answer was received but not delivered in full"),
      answer);
}

void StreamPrinter::print(std::string_view piece, const majordomo::Response& answer) {
  pending_.append(piece);
  // Only a tail that may still grow into a credential waits (usually nothing): holding back the
  // longest secret's length delayed everything by ~2 KB with a long bearer token.
  std::size_t end = pending_.size() - known_secrets().prefix_tail(pending_);
  // Never split a UTF-8 sequence: the terminal escape needs whole characters.
  while (end > 0 && end < pending_.size() && (static_cast<unsigned char>(pending_[end]) & 0xc0) == 0x80) --end;
  emit(end, false, answer);
}

void StreamPrinter::finish(const majordomo::Response& answer) { emit(pending_.size(), true, answer); }

// Scrubs and prints pending_[0, end), with what was printed before as context, and keeps the rest.
void StreamPrinter::emit(std::size_t end, bool complete, const majordomo::Response& answer) {
  if (end == 0) return;
  work_.assign(printed_);
  work_.append(pending_, 0, end);
  known_secrets().scrub(work_, printed_.size(), complete);
  const std::string_view out = std::string_view(work_).substr(printed_.size());
  if (!out.empty()) {
    if (stdout_is_terminal()) {
      write_stdout(log_text::escape_controls(out, true), answer);
    } else {
      write_stdout(out, answer);
    }
  }
  pending_.erase(0, end);
  // Keep the last kContextBytes printed: a short secret counts only after "=", ": " or a quote,
  // which may have been printed in an earlier piece.
  const std::size_t keep = std::min(work_.size(), kContextBytes);
  printed_.assign(work_, work_.size() - keep, keep);
}

}  // namespace majordomo::cli
