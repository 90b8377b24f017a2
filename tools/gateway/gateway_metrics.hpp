// The gateway's Prometheus metrics: counters and histograms per provider, model and key, written in the text exposition format.
#pragma once

#include <majordomo/majordomo.hpp>

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace majordomo::gateway {

// The labels of one call's series. Values come from the configuration (key names, provider
// ids) or from routes the gateway resolved; a model name a client chose for a configured
// provider is one too, so the number of series is capped (kMaxSeries).
struct CallLabels {
  std::string endpoint;  // "chat_completions", "messages"
  std::string provider;  // the provider that answered, or the route's ("cascade") when none did
  std::string model;
  std::string key;       // the gateway key's name; "anonymous" without keys
};

// What one finished call adds to the metrics.
struct CallOutcome {
  int status = 200;
  std::string error_kind;  // an ErrorKind name, "gateway" for the gateway's own refusals; empty: none
  Usage usage;
  double cost_usd = 0;
  double duration_s = 0;
  double first_token_s = -1;  // streams that sent a first event; < 0: none
  bool stream = false;
};

class GatewayMetrics {
 public:
  void record(const CallLabels& labels, const CallOutcome& outcome);
  // A request refused before it had a route (401, 404, 429, bad JSON): counted by endpoint and status only.
  void record_refusal(std::string_view endpoint, int status, std::string_view reason);
  void stream_opened() noexcept { streams_in_flight_.fetch_add(1, std::memory_order_relaxed); }
  void stream_closed() noexcept { streams_in_flight_.fetch_sub(1, std::memory_order_relaxed); }
  void request_began() noexcept { requests_in_flight_.fetch_add(1, std::memory_order_relaxed); }
  void request_ended() noexcept { requests_in_flight_.fetch_sub(1, std::memory_order_relaxed); }
  [[nodiscard]] int64_t requests_in_flight() const noexcept { return requests_in_flight_.load(std::memory_order_relaxed); }

  // The exposition text (text/plain; version=0.0.4). `extra` is appended as it is (gauges the
  // caller owns, e.g. the call log's counters).
  [[nodiscard]] std::string exposition(std::string_view extra = {}) const;

  static constexpr std::size_t kMaxSeries = 2000;  // label sets kept apart; later ones fold into model="(other)"
  static constexpr std::array<double, 14> kBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                                      1,     2.5,  5,     10,   30,  60,  120};

 private:
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> counts{};  // per bucket, not cumulative
    uint64_t count = 0;
    double sum = 0;
    void observe(double value);
  };
  struct Series {
    std::map<int, uint64_t> requests;          // by status
    std::map<std::string, uint64_t> errors;    // by kind
    uint64_t input_tokens = 0, output_tokens = 0, cached_tokens = 0, reasoning_tokens = 0;
    double cost_usd = 0;
    Histogram duration;
    Histogram first_token;
  };
  mutable std::mutex mutex_;
  // Ordered by the labels themselves: a call finds its series without rendering them.
  struct LabelsOrder {
    bool operator()(const CallLabels& a, const CallLabels& b) const noexcept;
  };
  std::map<CallLabels, Series, LabelsOrder> series_;
  std::map<std::string, uint64_t> refusals_;  // rendered {endpoint,code,reason} → count
  std::atomic<int64_t> streams_in_flight_{0};
  std::atomic<int64_t> requests_in_flight_{0};
};

// A label value escaped for the text format (\\, \", \n).
[[nodiscard]] std::string escaped_label(std::string_view value);

// process_resident_memory_bytes, process_open_fds and process_threads from /proc/self, as
// exposition text (empty where /proc is not there).
[[nodiscard]] std::string process_metrics();

}  // namespace majordomo::gateway
