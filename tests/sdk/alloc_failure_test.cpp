// Failure injection: HttpExchange's destructor when pooling its connection runs out of memory.
// A binary of its own, because it replaces the global operator new.
#include "test_servers.hpp"
#include "transport_test_support.hpp"

#include <majordomo/sdk/http.hpp>

#include <catch2/catch.hpp>

#include <cstdlib>
#include <new>
#include <string>

namespace {

// Allocations on this thread fail while set; other threads (the servers) are unaffected.
thread_local bool fail_allocations = false;

}  // namespace

// Every unaligned form is replaced, so that each allocation and its release go through the same
// pair (malloc/free) and the sanitizer sees no mismatch.
void* operator new(std::size_t size) {
  if (fail_allocations) throw std::bad_alloc();
  if (void* memory = std::malloc(size == 0 ? 1 : size)) return memory;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return ::operator new(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  if (fail_allocations) return nullptr;
  return std::malloc(size == 0 ? 1 : size);
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept { return ::operator new(size, tag); }
void operator delete(void* memory) noexcept { std::free(memory); }
void operator delete[](void* memory) noexcept { std::free(memory); }
void operator delete(void* memory, std::size_t) noexcept { std::free(memory); }
void operator delete[](void* memory, std::size_t) noexcept { std::free(memory); }
void operator delete(void* memory, const std::nothrow_t&) noexcept { std::free(memory); }
void operator delete[](void* memory, const std::nothrow_t&) noexcept { std::free(memory); }

using namespace majordomo::sdk;
using namespace majordomo::test;

TEST_CASE("an exchange whose connection cannot be pooled closes it instead", "[transport][fault]") {
  LoopbackHttpServer server([](Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
    request.stream().ignore(std::numeric_limits<std::streamsize>::max());
    response.setContentType("application/json");
    response.setContentLength(2);
    response.send() << "{}";
  });
  HttpTransport transport(TransportConfig{});
  const std::string url = server.url();
  auto exchange = post(transport, url);
  read_body(*exchange);
  REQUIRE(exchange->body_complete());
  // The pool's first entry for this origin needs memory: giving the connection back throws.
  fail_allocations = true;
  exchange.reset();
  fail_allocations = false;
  CHECK(transport.idle_connections() == 0);
  auto next = post(transport, url);
  CHECK(read_body(*next) == "{}");
  CHECK(transport.connections_opened() == 2);
}
