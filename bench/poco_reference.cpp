// The start-up reference: a bare Poco program (Foundation, Net, JSON linked and used), as a hello world or one request.
//   poco_reference                 prints "hello" after touching each library once
//   poco_reference HOST PORT PATH  also POSTs one Chat Completions request and parses the answer
// bench/startup.sh runs it beside majordomo's driver in the same sitting (docs/benchmarks.md).
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/StreamCopier.h>

#include <cstdio>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
  // Each library is used, so the program NEEDs and loads all three, as a Poco client does.
  const Poco::Net::SocketAddress address("127.0.0.1", 1);
  Poco::JSON::Parser parser;
  const Poco::Dynamic::Var greeting = parser.parse(R"({"hello":"world"})");
  if (argc < 4) {
    std::printf("hello %s %u\n", greeting.extract<Poco::JSON::Object::Ptr>()->getValue<std::string>("hello").c_str(),
                static_cast<unsigned>(address.port()));
    return 0;
  }
  Poco::Net::HTTPClientSession session(argv[1], static_cast<Poco::UInt16>(std::stoi(argv[2])));
  Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, argv[3], Poco::Net::HTTPMessage::HTTP_1_1);
  const std::string body =
      R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say hello."}],"max_completion_tokens":64})";
  request.setContentType("application/json");
  request.set("Authorization", "Bearer bench");
  request.setContentLength(static_cast<std::streamsize>(body.size()));
  session.sendRequest(request) << body;
  Poco::Net::HTTPResponse response;
  std::istream& in = session.receiveResponse(response);
  std::string answer;
  Poco::StreamCopier::copyToString(in, answer);
  parser.reset();
  const auto object = parser.parse(answer).extract<Poco::JSON::Object::Ptr>();
  std::printf("%d %zu\n", static_cast<int>(response.getStatus()), object->size());
  return response.getStatus() == Poco::Net::HTTPResponse::HTTP_OK ? 0 : 1;
}
