// Gateway metrics: per-series counters and histograms under one mutex, rendered in Prometheus' text format 0.0.4.
#include "gateway_metrics.hpp"

#include <fmt/format.h>

#include <dirent.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <tuple>
#include <vector>

namespace majordomo::gateway {
namespace {

std::string series_key(const CallLabels& labels) {
  return fmt::format("endpoint=\"{}\",provider=\"{}\",model=\"{}\",key=\"{}\"", escaped_label(labels.endpoint),
                     escaped_label(labels.provider), escaped_label(labels.model), escaped_label(labels.key));
}

void header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

// Prometheus wants "+Inf"-free finite numbers in plain notation; fmt's shortest form is valid.
std::string number(double value) { return fmt::format("{}", value); }

template <class Histogram>
void write_histogram(std::string& out, std::string_view name, const std::string& labels, const Histogram& histogram,
                     const auto& buckets) {
  uint64_t cumulative = 0;
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    cumulative += histogram.counts[i];
    fmt::format_to(std::back_inserter(out), "{}_bucket{{{},le=\"{}\"}} {}\n", name, labels, number(buckets[i]), cumulative);
  }
  fmt::format_to(std::back_inserter(out), "{}_bucket{{{},le=\"+Inf\"}} {}\n", name, labels, histogram.count);
  fmt::format_to(std::back_inserter(out), "{}_sum{{{}}} {}\n", name, labels, number(histogram.sum));
  fmt::format_to(std::back_inserter(out), "{}_count{{{}}} {}\n", name, labels, histogram.count);
}

}  // namespace

std::string escaped_label(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out.push_back(c);
  }
  return out;
}

void GatewayMetrics::Histogram::observe(double value) {
  ++count;
  sum += value;
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    if (value <= kBuckets[i]) {
      ++counts[i];
      return;
    }
  }
}

bool GatewayMetrics::LabelsOrder::operator()(const CallLabels& a, const CallLabels& b) const noexcept {
  return std::tie(a.endpoint, a.provider, a.model, a.key) < std::tie(b.endpoint, b.provider, b.model, b.key);
}

void GatewayMetrics::record(const CallLabels& labels, const CallOutcome& outcome) {
  const std::lock_guard lock(mutex_);
  auto found = series_.find(labels);
  if (found == series_.end()) {
    // A "provider/model" route takes any model name a client sends: past kMaxSeries, new names
    // share one series per provider and key instead of growing the exposition without bound.
    CallLabels kept = labels;
    if (series_.size() >= kMaxSeries) kept.model = "(other)";
    found = series_.try_emplace(std::move(kept)).first;
  }
  Series& series = found->second;
  ++series.requests[outcome.status];
  if (!outcome.error_kind.empty()) ++series.errors[outcome.error_kind];
  series.input_tokens += static_cast<uint64_t>(std::max<int64_t>(0, outcome.usage.input_tokens));
  series.output_tokens += static_cast<uint64_t>(std::max<int64_t>(0, outcome.usage.output_tokens));
  series.cached_tokens += static_cast<uint64_t>(std::max<int64_t>(0, outcome.usage.cached_tokens));
  series.reasoning_tokens += static_cast<uint64_t>(std::max<int64_t>(0, outcome.usage.reasoning_tokens));
  if (outcome.cost_usd > 0) series.cost_usd += outcome.cost_usd;
  series.duration.observe(outcome.duration_s);
  if (outcome.first_token_s >= 0) series.first_token.observe(outcome.first_token_s);
}

void GatewayMetrics::record_refusal(std::string_view endpoint, int status, std::string_view reason) {
  const std::string key = fmt::format("endpoint=\"{}\",code=\"{}\",reason=\"{}\"", escaped_label(endpoint), status,
                                      escaped_label(reason));
  const std::lock_guard lock(mutex_);
  ++refusals_[key];
}

std::string GatewayMetrics::exposition(std::string_view extra) const {
  std::string out;
  out.reserve(4096);
  // Copied under the lock and formatted outside it: a scrape must not hold up finishing calls.
  std::vector<std::pair<CallLabels, Series>> copied;
  std::map<std::string, uint64_t> refusals;
  {
    const std::lock_guard lock(mutex_);
    copied.assign(series_.begin(), series_.end());
    refusals = refusals_;
  }
  std::vector<std::pair<std::string, Series>> all_series;
  all_series.reserve(copied.size());
  for (auto& [labels, series] : copied) all_series.emplace_back(series_key(labels), std::move(series));
  header(out, "majordomo_gateway_requests_total", "counter", "Calls answered, by route, gateway key and HTTP status.");
  for (const auto& [labels, series] : all_series) {
    for (const auto& [code, count] : series.requests) {
      fmt::format_to(std::back_inserter(out), "majordomo_gateway_requests_total{{{},code=\"{}\"}} {}\n", labels, code, count);
    }
  }
  header(out, "majordomo_gateway_errors_total", "counter", "Calls that failed, by error kind.");
  for (const auto& [labels, series] : all_series) {
    for (const auto& [kind, count] : series.errors) {
      fmt::format_to(std::back_inserter(out), "majordomo_gateway_errors_total{{{},kind=\"{}\"}} {}\n", labels, kind, count);
    }
  }
  header(out, "majordomo_gateway_refusals_total", "counter",
         "Requests refused before routing (no key, unknown model, rate or budget, bad request).");
  for (const auto& [labels, count] : refusals) {
    fmt::format_to(std::back_inserter(out), "majordomo_gateway_refusals_total{{{}}} {}\n", labels, count);
  }
  header(out, "majordomo_gateway_tokens_total", "counter", "Tokens reported by providers, by type.");
  for (const auto& [labels, series] : all_series) {
    const std::pair<std::string_view, uint64_t> counts[] = {{"input", series.input_tokens},
                                                            {"output", series.output_tokens},
                                                            {"cached", series.cached_tokens},
                                                            {"reasoning", series.reasoning_tokens}};
    for (const auto& [type, count] : counts) {
      fmt::format_to(std::back_inserter(out), "majordomo_gateway_tokens_total{{{},type=\"{}\"}} {}\n", labels, type, count);
    }
  }
  header(out, "majordomo_gateway_cost_usd_total", "counter", "Cost in USD from catalog prices (unpriced models add 0).");
  for (const auto& [labels, series] : all_series) {
    fmt::format_to(std::back_inserter(out), "majordomo_gateway_cost_usd_total{{{}}} {}\n", labels, number(series.cost_usd));
  }
  header(out, "majordomo_gateway_request_duration_seconds", "histogram", "From the request read to the last byte sent.");
  for (const auto& [labels, series] : all_series) {
    write_histogram(out, "majordomo_gateway_request_duration_seconds", labels, series.duration, kBuckets);
  }
  header(out, "majordomo_gateway_time_to_first_token_seconds", "histogram", "Streams: from the request read to the first event sent.");
  for (const auto& [labels, series] : all_series) {
    if (series.first_token.count == 0) continue;
    write_histogram(out, "majordomo_gateway_time_to_first_token_seconds", labels, series.first_token, kBuckets);
  }
  header(out, "majordomo_gateway_streams_in_flight", "gauge", "Streams being relayed now.");
  fmt::format_to(std::back_inserter(out), "majordomo_gateway_streams_in_flight {}\n",
                 streams_in_flight_.load(std::memory_order_relaxed));
  header(out, "majordomo_gateway_requests_in_flight", "gauge", "Requests being handled now, streams included.");
  fmt::format_to(std::back_inserter(out), "majordomo_gateway_requests_in_flight {}\n",
                 requests_in_flight_.load(std::memory_order_relaxed));
  out.append(extra);
  return out;
}

std::string process_metrics() {
  std::string out;
  long rss_pages = 0;
  {
    std::ifstream statm("/proc/self/statm");
    long size = 0;
    if (statm >> size >> rss_pages) {
      header(out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
      fmt::format_to(std::back_inserter(out), "process_resident_memory_bytes {}\n", rss_pages * sysconf(_SC_PAGESIZE));
    }
  }
  if (DIR* fds = opendir("/proc/self/fd")) {
    int count = 0;
    while (readdir(fds) != nullptr) ++count;
    closedir(fds);
    header(out, "process_open_fds", "gauge", "Open file descriptors.");
    fmt::format_to(std::back_inserter(out), "process_open_fds {}\n", count - 3);  // ".", ".." and the DIR's own
  }
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("Threads:")) {
      header(out, "process_threads", "gauge", "Threads of the process.");
      fmt::format_to(std::back_inserter(out), "process_threads {}\n", std::stol(line.substr(8)));
      break;
    }
  }
  return out;
}

}  // namespace majordomo::gateway
