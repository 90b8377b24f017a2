// The misbehaving server's sockets: accept loop, request parsing and routing, connection threads (POSIX, no HTTP library).
#include "misbehaving_server.hpp"

#include "misbehaving_connection.hpp"

#include <fmt/format.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <list>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace majordomo::fake {

struct MisbehavingServer::State {
  MisbehavingServerOptions options;
  int listen_fd = -1;
  int stop_pipe[2] = {-1, -1};  // written once by stop(): every poll() that watches [0] wakes
  uint16_t port = 0;
  std::thread acceptor;
  struct Worker {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::mutex mutex;
  std::list<Worker> workers;
  std::vector<SeenRequest> seen;
  bool started = false;
  bool stopped = false;
};

namespace {

constexpr size_t max_head_bytes = 64 * 1024;
constexpr size_t max_request_body_bytes = 8 << 20;
constexpr auto request_read_limit = std::chrono::seconds(10);

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) text.remove_suffix(1);
  return text;
}

// The value of a top-level-looking "name": member, found by text search: the client's body is
// well-formed JSON and this server only needs "model" and "stream".
std::string_view member_value(std::string_view body, std::string_view name) {
  const std::string needle = fmt::format("\"{}\"", name);
  size_t at = body.find(needle);
  if (at == std::string_view::npos) return {};
  at += needle.size();
  while (at < body.size() && (body[at] == ' ' || body[at] == ':' || body[at] == '\n' || body[at] == '\t')) ++at;
  size_t end = at;
  if (end < body.size() && body[end] == '"') {
    ++end;
    while (end < body.size() && body[end] != '"') ++end;
    return body.substr(at + 1, end - at - 1);
  }
  while (end < body.size() && std::isalpha(static_cast<unsigned char>(body[end])) != 0) ++end;
  return body.substr(at, end - at);
}

// Model names go into answers unescaped, so only a plain spelling is kept.
std::string plain_model(std::string_view text) {
  const bool plain = !text.empty() && text.size() < 128 && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-' || c == '_' || c == ':';
  });
  return plain ? std::string(text) : std::string("model");
}

void route(IncomingRequest& request) {
  SeenRequest& seen = request.seen;
  std::string_view target = request.target;
  if (target.rfind("http://", 0) == 0 || target.rfind("https://", 0) == 0) {
    seen.proxied = true;
    target.remove_prefix(target.find("//") + 2);
    const auto slash = target.find('/');
    target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
  }
  const std::string_view path = target.substr(0, target.find('?'));
  request.path = std::string(path);
  seen.path = request.path;
  const std::string_view after_slash = path.substr(path.empty() ? 0 : 1);
  seen.first_segment = std::string(after_slash.substr(0, after_slash.find('/')));
  request.model = plain_model(member_value(request.body, "model"));
  seen.stream = member_value(request.body, "stream") == "true";
  if (request.method != "POST") return;
  if (ends_with(path, "/chat/completions")) {
    const std::string* provider = request.header("x-majordomo-provider");
    const bool deepseek = (provider != nullptr && iequals(trim(*provider), "deepseek")) || request.model.rfind("deepseek", 0) == 0;
    seen.route = deepseek ? Route::deepseek : Route::openai_chat;
  } else if (ends_with(path, "/responses")) {
    seen.route = Route::openai_responses;
  } else if (ends_with(path, "/v1/messages")) {
    seen.route = Route::anthropic;
  } else if (ends_with(path, "/v2/chat")) {
    seen.route = Route::cohere;
  } else if (const auto models = path.rfind("/models/"); models != std::string_view::npos) {
    const std::string_view rest = path.substr(models + 8);
    const auto colon = rest.rfind(':');
    if (colon != std::string_view::npos && (rest.substr(colon) == ":generateContent" || rest.substr(colon) == ":streamGenerateContent")) {
      seen.route = Route::gemini;
      seen.stream = rest.substr(colon) == ":streamGenerateContent";
      request.model = plain_model(rest.substr(0, colon));
    }
  }
}

// Reads one request (head and Content-Length body) within a time limit; false when the client
// sent nothing usable.
bool read_request(int fd, int stop_fd, IncomingRequest& request) {
  const auto until = std::chrono::steady_clock::now() + request_read_limit;
  std::string data;
  size_t head_end = std::string::npos;
  size_t body_length = 0;
  char buffer[16 * 1024];
  for (;;) {
    if (head_end != std::string::npos && data.size() >= head_end + body_length) break;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd fds[2] = {{fd, POLLIN, 0}, {stop_fd, POLLIN, 0}};
    if (::poll(fds, 2, static_cast<int>(left.count())) <= 0 || fds[1].revents != 0) return false;
    const ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
    if (got <= 0) return false;
    data.append(buffer, static_cast<size_t>(got));
    if (head_end != std::string::npos) continue;
    const auto blank = data.find("\r\n\r\n");
    if (blank == std::string::npos) {
      if (data.size() > max_head_bytes) return false;
      continue;
    }
    head_end = blank + 4;
    std::string_view head(data.data(), blank);
    const auto line_end = head.find("\r\n");
    const std::string_view request_line = head.substr(0, line_end);
    const auto first_space = request_line.find(' ');
    const auto second_space = request_line.find(' ', first_space + 1);
    if (first_space == std::string_view::npos || second_space == std::string_view::npos) return false;
    request.method = std::string(request_line.substr(0, first_space));
    request.target = std::string(request_line.substr(first_space + 1, second_space - first_space - 1));
    std::string_view rest = line_end == std::string_view::npos ? std::string_view{} : head.substr(line_end + 2);
    while (!rest.empty()) {
      const auto end = rest.find("\r\n");
      const std::string_view line = rest.substr(0, end);
      rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 2);
      const auto colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      request.headers.emplace_back(std::string(trim(line.substr(0, colon))), std::string(trim(line.substr(colon + 1))));
    }
    if (const std::string* length = request.header("Content-Length")) {
      body_length = std::strtoull(length->c_str(), nullptr, 10);
      if (body_length > max_request_body_bytes) return false;
    }
  }
  request.body = data.substr(head_end, body_length);
  route(request);
  return true;
}

void serve_connection(int fd, std::shared_ptr<MisbehavingServer::State> state, std::chrono::steady_clock::time_point accepted_at) {
  IncomingRequest request;
  request.seen.accepted_at = accepted_at;
  if (read_request(fd, state->stop_pipe[0], request)) {
    {
      const std::lock_guard lock(state->mutex);
      state->seen.push_back(request.seen);
    }
    if (state->options.log_requests) {
      std::cerr << fmt::format("majordomo-fake: {} {} {} ({}{}): {}\n", request.method, request.seen.path,
                               request.seen.proxied ? "via proxy" : "direct", route_name(request.seen.route),
                               request.seen.stream ? ", stream" : "", state->options.misbehaviour);
    }
    Connection connection(fd, state->stop_pipe[0], std::chrono::steady_clock::now() + state->options.endless_for,
                          state->options.endless_bytes);
    misbehave(state->options.misbehaviour, request, connection);
  }
  // An abortive close would lose bytes still queued; a plain close after the last write keeps them.
  ::shutdown(fd, SHUT_WR);
  ::close(fd);
}

void accept_loop(std::shared_ptr<MisbehavingServer::State> state) {
  for (;;) {
    pollfd fds[2] = {{state->listen_fd, POLLIN, 0}, {state->stop_pipe[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    const int fd = ::accept4(state->listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    const auto accepted_at = std::chrono::steady_clock::now();
    const std::lock_guard lock(state->mutex);
    // Finished connections are joined here, so a long run does not pile up threads.
    for (auto it = state->workers.begin(); it != state->workers.end();) {
      if (it->done->load()) {
        it->thread.join();
        it = state->workers.erase(it);
      } else {
        ++it;
      }
    }
    auto done = std::make_shared<std::atomic<bool>>(false);
    state->workers.push_back({std::thread([fd, state, done, accepted_at] {
                                serve_connection(fd, state, accepted_at);
                                done->store(true);
                              }),
                              done});
  }
}

}  // namespace

const std::string* IncomingRequest::header(std::string_view name) const {
  for (const auto& [header_name, value] : headers) {
    if (iequals(header_name, name)) return &value;
  }
  return nullptr;
}

std::string_view route_name(Route route) {
  switch (route) {
    case Route::openai_chat: return "openai chat completions";
    case Route::openai_responses: return "openai responses";
    case Route::anthropic: return "anthropic";
    case Route::gemini: return "gemini";
    case Route::deepseek: return "deepseek";
    case Route::cohere: return "cohere";
    case Route::unknown: break;
  }
  return "unknown route";
}

MisbehavingServer::MisbehavingServer(MisbehavingServerOptions options)
    : options_(std::move(options)), state_(std::make_shared<State>()) {
  if (!is_misbehaviour(options_.misbehaviour)) {
    throw std::invalid_argument(fmt::format("unknown misbehaviour '{}'", options_.misbehaviour));
  }
  state_->options = options_;
}

MisbehavingServer::~MisbehavingServer() { stop(); }

void MisbehavingServer::start() {
  State& state = *state_;
  if (state.started) return;
  if (::pipe2(state.stop_pipe, O_CLOEXEC) != 0) throw std::runtime_error("misbehaving server: pipe2 failed");
  state.listen_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (state.listen_fd < 0) throw std::runtime_error("misbehaving server: socket failed");
  const int yes = 1;
  ::setsockopt(state.listen_fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(options_.port);
  if (::inet_pton(AF_INET, options_.host.c_str(), &address.sin_addr) != 1) {
    throw std::runtime_error(fmt::format("misbehaving server: --host {} is not an IPv4 address", options_.host));
  }
  if (::bind(state.listen_fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(state.listen_fd, 128) != 0) {
    throw std::runtime_error(fmt::format("misbehaving server: cannot listen on {}:{}: {}", options_.host, options_.port,
                                         std::strerror(errno)));
  }
  socklen_t length = sizeof address;
  ::getsockname(state.listen_fd, reinterpret_cast<sockaddr*>(&address), &length);
  state.port = ntohs(address.sin_port);
  state.started = true;
  state.acceptor = std::thread(accept_loop, state_);
}

void MisbehavingServer::stop() {
  State& state = *state_;
  if (!state.started || state.stopped) return;
  state.stopped = true;
  const char byte = 's';
  (void)!::write(state.stop_pipe[1], &byte, 1);
  state.acceptor.join();
  std::list<State::Worker> workers;
  {
    const std::lock_guard lock(state.mutex);
    workers.swap(state.workers);
  }
  for (auto& worker : workers) worker.thread.join();
  ::close(state.listen_fd);
  ::close(state.stop_pipe[0]);
  ::close(state.stop_pipe[1]);
}

uint16_t MisbehavingServer::port() const { return state_->port; }

std::string MisbehavingServer::origin() const { return fmt::format("http://{}:{}", options_.host, state_->port); }

std::vector<SeenRequest> MisbehavingServer::requests() const {
  const std::lock_guard lock(state_->mutex);
  return state_->seen;
}

}  // namespace majordomo::fake
