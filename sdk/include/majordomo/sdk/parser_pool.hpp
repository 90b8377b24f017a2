// ParserPool: reuses simdjson On-Demand parsers across calls so a call does not allocate one anew.
#pragma once

#include <majordomo/sdk/requires_cxx20.hpp>

#include <simdjson.h>

#include <memory>
#include <mutex>
#include <vector>

namespace majordomo::sdk {
inline namespace v1 {

// A parser grows its buffers to the largest document it has seen; keeping parsers between calls
// keeps those buffers. Thread-safe. The pool must outlive every lease (a provider instance owns
// the pool and the ABI closes every call before the instance is destroyed).
class ParserPool {
 public:
  class Lease {
   public:
    Lease(ParserPool& pool, std::unique_ptr<simdjson::ondemand::parser> parser)
        : pool_(&pool), parser_(std::move(parser)) {}
    Lease(Lease&&) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() {
      if (parser_) pool_->give_back(std::move(parser_));
    }
    simdjson::ondemand::parser& operator*() const noexcept { return *parser_; }

   private:
    ParserPool* pool_;
    std::unique_ptr<simdjson::ondemand::parser> parser_;
  };

  Lease acquire() {
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      if (!idle_.empty()) {
        auto parser = std::move(idle_.back());
        idle_.pop_back();
        return Lease(*this, std::move(parser));
      }
    }
    return Lease(*this, std::make_unique<simdjson::ondemand::parser>());
  }

 private:
  static constexpr std::size_t kMaxIdle = 16;

  void give_back(std::unique_ptr<simdjson::ondemand::parser> parser) noexcept {
    try {
      const std::lock_guard<std::mutex> lock(mutex_);
      if (idle_.size() < kMaxIdle) idle_.push_back(std::move(parser));
    } catch (...) {
      // The parser is freed here instead: losing reuse is harmless.
    }
  }

  std::mutex mutex_;
  std::vector<std::unique_ptr<simdjson::ondemand::parser>> idle_;
};

}  // namespace v1
}  // namespace majordomo::sdk
