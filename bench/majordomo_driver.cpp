// Bench driver: DRIVER BASE_URL MODE N C WARMUP EXPECTED_FILE, through the public majordomo API.
#include <majordomo/majordomo.hpp>

#include <fmt/format.h>

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

// The same request as the harness's node peer and wrk script.
constexpr const char* kSystem = "You are a concise assistant for systems programmers.";
constexpr const char* kQuestion =
    "Explain in two short paragraphs why keeping one HTTP connection alive matters for a client "
    "that streams tokens from a language model, and what a careful client should avoid doing per "
    "chunk.";

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

std::string one_request(majordomo::LLM& llm, bool stream, const majordomo::RequestOptions& options) {
  if (!stream) return llm.get_response(kQuestion, options).content;
  majordomo::ResponseStream response = llm.get_response_stream(kQuestion, options);
  std::string text;
  for (std::string_view piece : response) text.append(piece);
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 7) {
    std::fprintf(stderr, "usage: %s BASE_URL MODE N C WARMUP EXPECTED_FILE\n", argv[0]);
    return 2;
  }
  const std::string base_url = argv[1];
  const std::string mode = argv[2];
  const long n = std::atol(argv[3]);
  const int concurrency = std::max(1, std::atoi(argv[4]));
  const long warmup = std::atol(argv[5]);
  std::ifstream expected_file(argv[6], std::ios::binary);
  std::stringstream expected_buffer;
  expected_buffer << expected_file.rdbuf();
  const std::string expected = expected_buffer.str();
  const bool stream = mode != "json";

  try {
    const majordomo::Host host;
    majordomo::ClientOptions client;
    client.api_key = "sk-bench-0000000000000000";
    client.base_url = base_url;
    const auto llm = host.get_llm_instance("openai", "gpt-4o", client);
    majordomo::RequestOptions options;
    options.system = kSystem;
    options.temperature = 0.7;
    options.max_tokens = 512;

    if (const std::string text = one_request(*llm, stream, options); text != expected) {
      std::fprintf(stderr, "validation failed: got %zu bytes, expected %zu\n", text.size(), expected.size());
      return 1;
    }
    if (n == 0) return 0;
    for (long i = 0; i < warmup; ++i) one_request(*llm, stream, options);

    std::atomic<long> next{0};
    std::atomic<long> bad{0};
    const double cpu_start = cpu_seconds();
    const auto wall_start = std::chrono::steady_clock::now();
    const auto worker = [&] {
      while (next.fetch_add(1, std::memory_order_relaxed) < n) {
        if (one_request(*llm, stream, options).size() != expected.size()) ++bad;
      }
    };
    std::vector<std::thread> threads;
    for (int t = 1; t < concurrency; ++t) threads.emplace_back(worker);
    worker();
    for (auto& thread : threads) thread.join();
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    const double cpu = cpu_seconds() - cpu_start;
    if (bad > 0) {
      std::fprintf(stderr, "%ld responses had the wrong length\n", bad.load());
      return 1;
    }
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    std::printf("PEERJSON {\"rps\":%.1f,\"wall_s\":%.4f,\"loop_cpu_us_per_req\":%.2f,\"max_rss_mb\":%.2f}\n",
                static_cast<double>(n) / wall, wall, cpu * 1e6 / static_cast<double>(n),
                static_cast<double>(usage.ru_maxrss) / 1024.0);
    return 0;
  } catch (const majordomo::Error& error) {
    std::fprintf(stderr, "majordomo %s error: %s\n", std::string(majordomo::to_string(error.kind())).c_str(),
                 error.what());
    return 1;
  }
}
