// DisconnectWatch: one thread that notices, through epoll, a client hanging up while the gateway serves it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace majordomo::gateway {

// A connection thread blocked on the provider cannot see its client go away; this thread can.
// Each client connection is registered once, for its whole life (not per call: two epoll_ctl per
// request saved). It watches each registered socket for a hang-up (EPOLLRDHUP, EPOLLHUP, EPOLLERR; never for data,
// so a pipelined next request is not mistaken for one) and runs the registration's callback once,
// on the watch thread. Callbacks must be quick and must not throw (they cancel a call).
class DisconnectWatch {
 public:
  DisconnectWatch();
  ~DisconnectWatch();
  DisconnectWatch(const DisconnectWatch&) = delete;
  DisconnectWatch& operator=(const DisconnectWatch&) = delete;

  // Watches `fd` until the returned registration is destroyed, which must happen before the
  // socket is closed. When the fd cannot be watched (epoll refused it) nothing is called.
  class Registration {
   public:
    Registration() = default;
    Registration(DisconnectWatch* watch, uint64_t id, int fd) : watch_(watch), id_(id), fd_(fd) {}
    Registration(Registration&& other) noexcept;
    Registration& operator=(Registration&& other) noexcept;
    ~Registration();

   private:
    DisconnectWatch* watch_ = nullptr;
    uint64_t id_ = 0;
    int fd_ = -1;
  };
  [[nodiscard]] Registration watch(int fd, std::function<void()> on_gone);

 private:
  void run();
  void forget(uint64_t id, int fd);

  int epoll_fd_ = -1;
  int wake_fd_ = -1;  // an eventfd: written to stop the thread
  std::mutex mutex_;  // held while a callback runs, so forget() returns only after it ended
  std::map<uint64_t, std::function<void()>> callbacks_;
  uint64_t next_id_ = 1;
  std::thread thread_;
};

}  // namespace majordomo::gateway
