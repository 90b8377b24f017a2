// The misbehaviours of majordomo-fake --misbehave: what each one puts on the wire, and the bounded connection it writes to.
#include "misbehaving_answers.hpp"
#include "misbehaving_connection.hpp"

#include "json_text.hpp"

#include <fmt/format.h>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <functional>

namespace majordomo::fake {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::string head(int status, std::string_view reason, const std::vector<Header>& headers) {
  std::string out = fmt::format("HTTP/1.1 {} {}\r\n", status, reason);
  for (const auto& header : headers) out += fmt::format("{}: {}\r\n", header.name, header.value);
  out += "Connection: close\r\n\r\n";
  return out;
}

// A whole response with a Content-Length.
std::string response(int status, std::string_view reason, std::vector<Header> headers, std::string_view content_type,
                     std::string_view body) {
  headers.push_back({"Content-Type", std::string(content_type)});
  headers.push_back({"Content-Length", std::to_string(body.size())});
  return head(status, reason, headers) + std::string(body);
}

std::string answer(const IncomingRequest& request, const AnswerShape& shape, std::vector<Header> headers = {}) {
  return response(200, "OK", std::move(headers), answer_content_type(request.seen.stream),
                  answer_body(request.seen.route, request.seen.stream, request.model, shape));
}

std::string error(const IncomingRequest& request, int status, std::string_view reason, std::string_view message_json,
                  std::vector<Header> headers = {}) {
  return response(status, reason, std::move(headers), "application/json",
                  error_body(request.seen.route, status, message_json));
}

// Every credential the request carried, as sent (the Authorization value with its scheme).
std::string credentials(const IncomingRequest& request) {
  std::string all;
  for (const char* name : {"Authorization", "x-api-key", "x-goog-api-key", "Proxy-Authorization"}) {
    if (const std::string* value = request.header(name); value != nullptr && !value->empty()) {
      all += all.empty() ? *value : " " + *value;
    }
  }
  return all.empty() ? std::string("no-credentials") : all;
}

std::vector<Header> echoed_ids(const std::string& value) {
  return {{"x-request-id", value}, {"request-id", value}};
}

// Keeps writing `piece` until the client goes away or a bound of the connection is reached.
void send_forever(Connection& connection, const std::string& piece) {
  while (connection.send(piece)) {
  }
}

std::string repeated(char c, size_t count) { return std::string(count, c); }

AnswerShape with_usage(std::string input, std::string output = "5", std::string cached = "0") {
  AnswerShape shape;
  shape.input_tokens = std::move(input);
  shape.output_tokens = std::move(output);
  shape.cached_tokens = std::move(cached);
  return shape;
}

AnswerShape with_content(std::string content) {
  AnswerShape shape;
  shape.content = std::move(content);
  return shape;
}

void redirect(const IncomingRequest& request, Connection& connection, int status, std::string_view reason) {
  const std::string location = fmt::format("http://127.0.0.1:{}/moved/elsewhere{}", connection.local_port(), request.path);
  // No body, as real redirects often have none: the client can only learn the Location from the header.
  connection.send(response(status, reason, {{"Location", location}}, "text/html", ""));
}

using Behaviour = std::function<void(const IncomingRequest&, Connection&)>;

struct Entry {
  MisbehaviourInfo info;
  Behaviour behaviour;
};

const std::vector<Entry>& entries() {
  static const std::vector<Entry> table = [] {
    std::vector<Entry> t;
    const auto add = [&](std::string_view name, std::string_view summary, Behaviour behaviour) {
      t.push_back({{name, summary}, std::move(behaviour)});
    };
    add("ok", "a well-formed answer (the control case)",
        [](const IncomingRequest& r, Connection& c) { c.send(answer(r, AnswerShape{})); });
    add("silent", "reads the request and never answers", [](const IncomingRequest&, Connection& c) { c.stay_silent(); });
    add("trickle-head", "a 200 head, one byte every 0.5 s", [](const IncomingRequest& r, Connection& c) {
      const std::string bytes = head(200, "OK", {{"Content-Type", std::string(answer_content_type(r.seen.stream))},
                                                 {"X-Padding", repeated('p', 4000)}});
      for (const char byte : bytes) {
        if (!c.send(std::string_view(&byte, 1)) || !c.pause(500ms)) return;
      }
    });
    add("keepalive-only", "a 200 text/event-stream head, then only ': keep-alive' comments",
        [](const IncomingRequest&, Connection& c) {
          if (!c.send(head(200, "OK", {{"Content-Type", "text/event-stream"}, {"Cache-Control", "no-cache"}}))) return;
          while (c.send(": keep-alive\n\n") && c.pause(200ms)) {
          }
        });
    add("endless-line", "one SSE 'data:' line (a JSON body without streaming) that never ends",
        [](const IncomingRequest& r, Connection& c) {
          const std::string content_type = r.seen.stream ? "text/event-stream" : "application/json";
          if (!c.send(head(200, "OK", {{"Content-Type", content_type}}))) return;
          if (!c.send(r.seen.stream ? R"(data: {"text":")" : R"({"id":")")) return;
          send_forever(c, repeated('a', 64 * 1024));
        });
    add("data-run", "'data:' lines with no blank line between them, forever", [](const IncomingRequest&, Connection& c) {
      if (!c.send(head(200, "OK", {{"Content-Type", "text/event-stream"}}))) return;
      send_forever(c, fmt::format("data: {{\"text\":\"{}\"}}\n", repeated('a', 1000)));
    });
    add("kept-flood", "small events whose tool-call arguments or continuation data add up without end (a JSON "
        "body that never ends)",
        [](const IncomingRequest& r, Connection& c) {
          if (!r.seen.stream) {
            if (!c.send(head(200, "OK", {{"Content-Type", "application/json"}})) || !c.send(R"({"id":")")) return;
            send_forever(c, repeated('a', 64 * 1024));
            return;
          }
          if (!c.send(head(200, "OK", {{"Content-Type", "text/event-stream"}})) ||
              !c.send(kept_flood_opening(r.seen.route, r.model))) {
            return;
          }
          const std::string filler = repeated('k', 64 * 1024);
          // Bounded by the connection's byte budget, like every endless behaviour.
          for (size_t n = 0; c.send(kept_flood_piece(r.seen.route, n, filler)); ++n) {
          }
        });
    add("echo-credentials", "an answer whose x-request-id and request-id headers echo the request's credentials",
        [](const IncomingRequest& r, Connection& c) { c.send(answer(r, AnswerShape{}, echoed_ids(credentials(r)))); });
    add("echo-credentials-error", "a 500 whose body and request-id headers echo the request's credentials",
        [](const IncomingRequest& r, Connection& c) {
          const std::string echoed = credentials(r);
          c.send(error(r, 500, "Internal Server Error", json_quote("upstream rejected credentials " + echoed),
                       echoed_ids(echoed)));
        });
    const auto behaviour_of = [&t](std::string_view name) {
      return std::find_if(t.begin(), t.end(), [&](const Entry& entry) { return entry.info.name == name; })->behaviour;
    };
    // The proxy scenarios answer as the two above, but only a request that came through the
    // server as a forward proxy; anything else is told what is wrong.
    const auto proxied_only = [](Behaviour behaviour) {
      return [behaviour](const IncomingRequest& r, Connection& c) {
        if (!r.seen.proxied) {
          c.send(error(r, 400, "Bad Request", json_quote("this misbehaviour expects to be used as the proxy (--proxy)")));
          return;
        }
        behaviour(r, c);
      };
    };
    add("proxy-echo", "as the proxy: an answer whose request-id headers echo Proxy-Authorization and the key",
        proxied_only(behaviour_of("echo-credentials")));
    add("proxy-echo-error", "as the proxy: a 500 whose body and request-id headers echo Proxy-Authorization and the key",
        proxied_only(behaviour_of("echo-credentials-error")));
    add("ansi-error", "a 400 whose message holds ANSI escapes and a forged 'majordomo: note: all good' line",
        [](const IncomingRequest& r, Connection& c) {
          c.send(error(r, 400, "Bad Request",
                       R"("bad request\u001b[2J\u001b[H\u001b]0;owned\u0007\u001b[31m\rmajordomo: note: all good\nmajordomo: note: all good\u001b[0m")"));
        });
    add("redirect-301", "301 Moved Permanently with a Location",
        [](const IncomingRequest& r, Connection& c) { redirect(r, c, 301, "Moved Permanently"); });
    add("redirect-302", "302 Found with a Location", [](const IncomingRequest& r, Connection& c) { redirect(r, c, 302, "Found"); });
    add("redirect-307", "307 Temporary Redirect with a Location",
        [](const IncomingRequest& r, Connection& c) { redirect(r, c, 307, "Temporary Redirect"); });
    add("gzip", "a gzip Content-Encoding body nobody asked for", [](const IncomingRequest& r, Connection& c) {
      const std::string body = gzip_stored(answer_body(r.seen.route, r.seen.stream, r.model, AnswerShape{}));
      c.send(response(200, "OK", {{"Content-Encoding", "gzip"}}, answer_content_type(r.seen.stream), body));
    });
    add("usage-negative", "negative input and output token counts",
        [](const IncomingRequest& r, Connection& c) { c.send(answer(r, with_usage("-5", "-3"))); });
    add("usage-fraction", "a non-integer input token count (12.5)",
        [](const IncomingRequest& r, Connection& c) { c.send(answer(r, with_usage("12.5"))); });
    add("usage-huge", "an input token count above 2^53 (9007199254740993)",
        [](const IncomingRequest& r, Connection& c) { c.send(answer(r, with_usage("9007199254740993"))); });
    add("usage-int64-max", "INT64_MAX input, output and cache counts", [](const IncomingRequest& r, Connection& c) {
      AnswerShape shape = with_usage("9223372036854775807", "9223372036854775807", "9223372036854775807");
      shape.cache_write_tokens = "9223372036854775807";
      c.send(answer(r, shape));
    });
    add("usage-cached-over-input", "more cached tokens (100) than input tokens (10)",
        [](const IncomingRequest& r, Connection& c) { c.send(answer(r, with_usage("10", "5", "100"))); });
    add("content-number", "answer content that is a number (JSON and stream events)",
        [](const IncomingRequest& r, Connection& c) { c.send(answer(r, with_content("42"))); });
    add("content-object", "answer content that is an object",
        [](const IncomingRequest& r, Connection& c) { c.send(answer(r, with_content(R"({"text":"hidden"})"))); });
    add("content-null", "answer content that is null",
        [](const IncomingRequest& r, Connection& c) { c.send(answer(r, with_content("null"))); });
    add("bad-utf8-error", "a 400 whose message and request-id header hold invalid UTF-8",
        [](const IncomingRequest& r, Connection& c) {
          c.send(error(r, 400, "Bad Request", "\"bad \xff\xfe bytes \xc0\xaf overlong \x80 lone \xed\xa0\x80 surrogate\"",
                       echoed_ids("req-\xff\xfe\xc3")));
        });
    add("bad-utf8-request-id", "an answer whose request-id headers hold invalid UTF-8",
        [](const IncomingRequest& r, Connection& c) { c.send(answer(r, AnswerShape{}, echoed_ids("req-\xff\xfe\xc0\xaf-\x80"))); });
    add("malformed-status", "a status line that is not HTTP ('HTTP/1.1 2OO OK')", [](const IncomingRequest& r, Connection& c) {
      std::string bytes = answer(r, AnswerShape{});
      bytes.replace(0, std::string_view("HTTP/1.1 200").size(), "HTTP/1.1 2OO");
      c.send(bytes);
    });
    add("bad-chunk-size", "a chunked body whose first chunk size is not hexadecimal", [](const IncomingRequest& r, Connection& c) {
      const std::string body = answer_body(r.seen.route, r.seen.stream, r.model, AnswerShape{});
      c.send(head(200, "OK", {{"Content-Type", std::string(answer_content_type(r.seen.stream))}, {"Transfer-Encoding", "chunked"}}) +
             "zz\r\n" + body + "\r\n0\r\n\r\n");
    });
    return t;
  }();
  return table;
}

}  // namespace

const std::vector<MisbehaviourInfo>& misbehaviours() {
  static const std::vector<MisbehaviourInfo> infos = [] {
    std::vector<MisbehaviourInfo> out;
    for (const auto& entry : entries()) out.push_back(entry.info);
    return out;
  }();
  return infos;
}

bool is_misbehaviour(std::string_view name) {
  const auto& all = entries();
  return std::any_of(all.begin(), all.end(), [&](const Entry& entry) { return entry.info.name == name; });
}

void misbehave(std::string_view misbehaviour, const IncomingRequest& request, Connection& connection) {
  if (request.seen.route == Route::unknown) {
    connection.send(response(404, "Not Found", {}, "application/json",
                             R"json({"error":{"message":"no provider route here (majordomo-fake --misbehave)"}})json"));
    return;
  }
  for (const auto& entry : entries()) {
    if (entry.info.name == misbehaviour) return entry.behaviour(request, connection);
  }
}

Connection::Connection(int fd, int stop_fd, Clock::time_point until, size_t byte_budget)
    : fd_(fd), stop_fd_(stop_fd), until_(until), byte_budget_(byte_budget) {}

uint16_t Connection::local_port() const {
  sockaddr_in address{};
  socklen_t length = sizeof address;
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) return 0;
  return ntohs(address.sin_port);
}

Connection::Wait Connection::wait_for(short events, std::chrono::milliseconds at_most) {
  const Clock::time_point end = std::min(until_, Clock::now() + at_most);
  for (;;) {
    const Clock::time_point now = Clock::now();
    if (now >= end) return Wait::time_passed;
    // Rounded up: poll may not return before `end`, or a pause would end early.
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(end - now);
    pollfd fds[2] = {{fd_, static_cast<short>(events | POLLIN), 0}, {stop_fd_, POLLIN, 0}};
    const int ready = ::poll(fds, 2, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0 || fds[1].revents != 0) return Wait::ended;
    if (ready == 0) continue;
    if ((fds[0].revents & (POLLERR | POLLHUP | POLLNVAL)) != 0) return Wait::ended;
    if ((fds[0].revents & POLLIN) != 0) {
      char scratch[4096];
      if (::recv(fd_, scratch, sizeof scratch, MSG_DONTWAIT) <= 0) return Wait::ended;  // the client closed
    }
    if ((fds[0].revents & events) != 0) return Wait::ready;
  }
}

bool Connection::send(std::string_view bytes) {
  while (!bytes.empty()) {
    if (sent_ >= byte_budget_) return false;
    if (wait_for(POLLOUT, std::chrono::ceil<std::chrono::milliseconds>(until_ - Clock::now())) != Wait::ready) return false;
    const size_t chunk = std::min({bytes.size(), size_t{64 * 1024}, byte_budget_ - sent_});
    const ssize_t written = ::send(fd_, bytes.data(), chunk, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (written < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) continue;
      return false;
    }
    sent_ += static_cast<size_t>(written);
    bytes.remove_prefix(static_cast<size_t>(written));
  }
  return true;
}

bool Connection::pause(std::chrono::milliseconds how_long) {
  // No event is asked for, so this returns only when the client goes, the server stops or the time passes.
  return wait_for(0, how_long) == Wait::time_passed && Clock::now() < until_;
}

void Connection::stay_silent() { wait_for(0, std::chrono::ceil<std::chrono::milliseconds>(until_ - Clock::now())); }

}  // namespace majordomo::fake
