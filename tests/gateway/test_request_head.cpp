// parse_request_head: what the gateway takes as a request head, and each way it refuses one, with its status.
#include "request_head.hpp"

#include <catch2/catch.hpp>

#include <string>

using majordomo::gateway::HeadLimits;
using majordomo::gateway::HeadParse;
using majordomo::gateway::HeadState;
using majordomo::gateway::parse_request_head;
using majordomo::gateway::RequestHead;

namespace {

HeadParse parse(const std::string& bytes, RequestHead& head, const HeadLimits& limits = {}) {
  return parse_request_head(bytes, head, limits);
}

int refused_status(const std::string& bytes, const HeadLimits& limits = {}) {
  RequestHead head;
  const HeadParse parsed = parse(bytes, head, limits);
  INFO(parsed.problem);
  return parsed.state == HeadState::refused ? parsed.status : 0;
}

}  // namespace

TEST_CASE("request head: fields, framing and keep-alive as the request declares them", "[gateway][head]") {
  RequestHead head;
  const std::string bytes =
      "POST /v1/chat/completions?x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type:application/json\r\n"
      "Content-Length:  42 \r\nX-Majordomo-Feature: chat\r\n\r\n{\"body\"";
  const HeadParse parsed = parse(bytes, head);
  REQUIRE(parsed.state == HeadState::complete);
  CHECK(parsed.consumed == bytes.find("\r\n\r\n") + 4);
  CHECK(head.method == "POST");
  CHECK(head.target == "/v1/chat/completions?x=1");
  CHECK(head.minor_version == 1);
  REQUIRE(head.fields.size() == 4);
  CHECK(head.fields[1].name == "Content-Type");
  CHECK(head.fields[1].value == "application/json");
  CHECK(head.fields[2].value == "42");
  CHECK(head.body == RequestHead::Body::length);
  CHECK(head.content_length == 42);
  CHECK(head.keep_alive);
  CHECK_FALSE(head.expect_continue);

  REQUIRE(parse("GET /healthz HTTP/1.0\r\n\r\n", head).state == HeadState::complete);
  CHECK(head.minor_version == 0);
  CHECK_FALSE(head.keep_alive);  // HTTP/1.0 closes unless asked otherwise
  CHECK(head.body == RequestHead::Body::none);
  REQUIRE(parse("GET /healthz HTTP/1.0\nConnection: Keep-Alive\n\n", head).state == HeadState::complete);
  CHECK(head.keep_alive);
  REQUIRE(parse("\r\nPOST /v1/messages HTTP/1.1\r\nHost: a\r\nConnection: TE, close\r\nTransfer-Encoding: chunked\r\n"
                "Expect: 100-Continue\r\n\r\n", head).state == HeadState::complete);
  CHECK_FALSE(head.keep_alive);
  CHECK(head.body == RequestHead::Body::chunked);
  CHECK(head.expect_continue);
  // Repeated Content-Length fields that agree are one length; zero is no body.
  REQUIRE(parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\ncontent-length: 0\r\n\r\n", head).state ==
          HeadState::complete);
  CHECK(head.body == RequestHead::Body::none);
}

TEST_CASE("request head: incomplete until the blank line, whatever was read so far", "[gateway][head]") {
  RequestHead head;
  const std::string whole = "GET /v1/models HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer k\r\n\r\n";
  for (std::size_t cut = 0; cut < whole.size(); ++cut) {
    INFO("cut at " << cut);
    CHECK(parse(whole.substr(0, cut), head).state == HeadState::incomplete);
  }
  CHECK(parse(whole, head).state == HeadState::complete);
}

TEST_CASE("request head: what could frame a request two ways is refused with 400", "[gateway][head]") {
  CHECK(refused_status("GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n") == 400);                      // bare CR
  CHECK(refused_status("GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n folded\r\n\r\n") == 400);          // obs-fold
  CHECK(refused_status("GET / HTTP/1.1\r\nHost: a\r\nContent-Length : 5\r\n\r\n") == 400);      // space before colon
  CHECK(refused_status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n") == 400);
  CHECK(refused_status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n") == 400);
  CHECK(refused_status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n") == 400);
  CHECK(refused_status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n") == 400);
  CHECK(refused_status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n") == 400);
  CHECK(refused_status("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n") == 400);
  CHECK(refused_status("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n") == 400);
  CHECK(refused_status("GET / HTTP/1.1\r\nX: a\r\n\r\n") == 400);                 // no Host
  CHECK(refused_status("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n") == 400);
  CHECK(refused_status("GET / HTTP/1.1\r\nHost: a\r\nX: a\x01z\r\n\r\n") == 400);  // a control character
  CHECK(refused_status("GET  / HTTP/1.1\r\nHost: a\r\n\r\n") == 400);
  CHECK(refused_status("GET /a b HTTP/1.1\r\nHost: a\r\n\r\n") == 400);
  CHECK(refused_status("G(T / HTTP/1.1\r\nHost: a\r\n\r\n") == 400);
  CHECK(refused_status("GET / HTTQ/1.1\r\nHost: a\r\n\r\n") == 400);
  CHECK(refused_status("\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n") == 400);  // more blank lines than skipped
}

TEST_CASE("request head: versions, codings and expectations the gateway does not serve have their own statuses",
          "[gateway][head]") {
  CHECK(refused_status("GET / HTTP/2.0\r\nHost: a\r\n\r\n") == 505);
  CHECK(refused_status("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n") == 501);
  CHECK(refused_status("POST / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\n\r\n") == 417);
  // HTTP/1.0 expectations are ignored, as RFC 9110 asks.
  RequestHead head;
  CHECK(parse("POST / HTTP/1.0\r\nExpect: 200-ok\r\n\r\n", head).state == HeadState::complete);
}

TEST_CASE("request head: over a bound is 414 or 431, before the head has ended too", "[gateway][head]") {
  HeadLimits limits;
  limits.max_head_bytes = 512;
  limits.max_fields = 4;
  limits.max_target_bytes = 64;
  limits.max_name_bytes = 16;
  limits.max_value_bytes = 32;
  CHECK(refused_status("GET /" + std::string(70, 'a') + " HTTP/1.1\r\nHost: a\r\n\r\n", limits) == 414);
  CHECK(refused_status("GET /" + std::string(600, 'a'), limits) == 414);  // no line end yet
  CHECK(refused_status("GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(600, 'v'), limits) == 431);
  CHECK(refused_status("GET / HTTP/1.1\r\nHost: a\r\nX-Long-Name-Here-1: v\r\n\r\n", limits) == 431);
  CHECK(refused_status("GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(33, 'v') + "\r\n\r\n", limits) == 431);
  CHECK(refused_status("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", limits) == 431);
  RequestHead head;
  CHECK(parse("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", head, limits).state == HeadState::complete);
}

TEST_CASE("request head: rebased, its views outlive the buffer it was read into", "[gateway][head]") {
  std::string buffer = "POST /v1/chat/completions?x=1 HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer k-1\r\n"
                       "Content-Length: 2\r\n\r\n{}";
  RequestHead head;
  const HeadParse parsed = parse(buffer, head);
  REQUIRE(parsed.state == HeadState::complete);
  head.fields.push_back({"X-Elsewhere", "kept as it is"});  // not in the parsed bytes: left alone
  std::string storage;
  majordomo::gateway::rebase_head(head, std::string_view(buffer).substr(0, parsed.consumed), storage);
  buffer.assign(buffer.size(), '#');  // what a refill of the read buffer does to the old bytes
  CHECK(head.method == "POST");
  CHECK(head.target == "/v1/chat/completions?x=1");
  REQUIRE(head.fields.size() == 4);
  CHECK(head.fields[1].name == "Authorization");
  CHECK(head.fields[1].value == "Bearer k-1");
  CHECK(head.fields[3].value == "kept as it is");
  CHECK(head.fields[0].value.data() >= storage.data());
  CHECK(head.fields[0].value.data() < storage.data() + storage.size());
}
