// DisconnectWatch: epoll over the sockets of the client connections, one callback per hang-up.
#include "disconnect_watch.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <system_error>

namespace majordomo::gateway {

DisconnectWatch::DisconnectWatch() {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (epoll_fd_ < 0 || wake_fd_ < 0) {
    if (epoll_fd_ >= 0) ::close(epoll_fd_);
    if (wake_fd_ >= 0) ::close(wake_fd_);
    throw std::system_error(errno, std::generic_category(), "cannot create the gateway's disconnect watch");
  }
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = 0;  // id 0: the wake-up
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &event);
  thread_ = std::thread([this] { run(); });
}

DisconnectWatch::~DisconnectWatch() {
  const uint64_t one = 1;
  [[maybe_unused]] const ssize_t written = ::write(wake_fd_, &one, sizeof one);
  thread_.join();
  ::close(wake_fd_);
  ::close(epoll_fd_);
}

// The system calls stay outside the mutex: every call's thread takes it twice, and with many
// threads on few cores one preempted in epoll_ctl while holding it made the others sleep on it
// (most of the gateway's futex calls at 32 concurrent streams).
DisconnectWatch::Registration DisconnectWatch::watch(int fd, std::function<void()> on_gone) {
  uint64_t id = 0;
  {
    // The callback is in place before epoll can report the fd.
    const std::lock_guard lock(mutex_);
    id = next_id_++;
    callbacks_.emplace(id, std::move(on_gone));
  }
  epoll_event event{};
  event.events = EPOLLRDHUP | EPOLLONESHOT;  // EPOLLHUP and EPOLLERR are always reported
  event.data.u64 = id;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0) {
    const std::lock_guard lock(mutex_);
    callbacks_.erase(id);
    return Registration{};
  }
  return Registration{this, id, fd};
}

void DisconnectWatch::forget(uint64_t id, int fd) {
  // Removed from epoll first, so nothing new is reported for the fd (the caller closes it next
  // and its number may be reused). An event already taken by run() finds no callback once it is
  // erased here; a callback already running holds the mutex, so this returns after it ended.
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  const std::lock_guard lock(mutex_);
  callbacks_.erase(id);
}

void DisconnectWatch::run() {
  epoll_event events[64];
  for (;;) {
    const int count = ::epoll_wait(epoll_fd_, events, 64, -1);
    if (count < 0) {
      if (errno == EINTR) continue;
      return;
    }
    for (int i = 0; i < count; ++i) {
      const uint64_t id = events[i].data.u64;
      if (id == 0) return;  // the destructor's wake-up
      const std::lock_guard lock(mutex_);
      const auto found = callbacks_.find(id);
      if (found == callbacks_.end()) continue;  // forgotten since: its socket may be another's now
      found->second();
      callbacks_.erase(found);
    }
  }
}

DisconnectWatch::Registration::Registration(Registration&& other) noexcept
    : watch_(other.watch_), id_(other.id_), fd_(other.fd_) {
  other.watch_ = nullptr;
}

DisconnectWatch::Registration& DisconnectWatch::Registration::operator=(Registration&& other) noexcept {
  if (this != &other) {
    if (watch_ != nullptr) watch_->forget(id_, fd_);
    watch_ = other.watch_;
    id_ = other.id_;
    fd_ = other.fd_;
    other.watch_ = nullptr;
  }
  return *this;
}

DisconnectWatch::Registration::~Registration() {
  if (watch_ != nullptr) watch_->forget(id_, fd_);
}

}  // namespace majordomo::gateway
