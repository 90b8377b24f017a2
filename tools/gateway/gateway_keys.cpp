// Gateway keys by hash, model permissions, and the per-key token bucket and daily spend.
#include "gateway_keys.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include <string.h>

namespace majordomo::gateway {
namespace {

int64_t utc_day(std::chrono::system_clock::time_point now) {
  return std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count() / 86'400;
}

int64_t seconds_to_next_utc_day(std::chrono::system_clock::time_point now) {
  const int64_t seconds = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  return 86'400 - seconds % 86'400;
}

// Equal texts, in a time that does not depend on where they differ: `kept` may be another client's key.
bool same_text(std::string_view kept, std::string_view text) noexcept {
  if (kept.size() != text.size()) return false;
  unsigned char difference = 0;
  for (std::size_t i = 0; i < text.size(); ++i) difference |= static_cast<unsigned char>(kept[i] ^ text[i]);
  return difference == 0;
}

}  // namespace

std::size_t KeyTable::DigestHash::operator()(const std::array<uint8_t, 32>& digest) const noexcept {
  // The digest is already uniformly spread: its first bytes are a fine hash.
  std::size_t hash = 0;
  std::memcpy(&hash, digest.data(), sizeof hash);
  return hash;
}

KeyTable::KeyTable(const GatewayConfig& config) : anonymous_(config.allow_anonymous) {
  for (const GatewayKey& key : config.keys) by_digest_.emplace(key.sha256, key);
}

const GatewayKey* KeyTable::find(std::string_view key_text) const {
  if (key_text.empty() || key_text.size() > 4096) return nullptr;
  // A keep-alive client sends the same key with every request, and one thread serves its
  // connection throughout: the digest of the last text this thread hashed is reused for it.
  LastKey& last = last_key();
  if (last.text.empty() || !same_text(last.text, key_text)) {
    // Emptied first: if hashing or copying fails, no text is left paired with another's digest.
    forget_thread_key();
    last.digest = sha256_of(key_text);
    last.text.assign(key_text);
  }
  const auto found = by_digest_.find(last.digest);
  return found == by_digest_.end() ? nullptr : &found->second;
}

KeyTable::LastKey& KeyTable::last_key() noexcept {
  thread_local LastKey last;
  return last;
}

void KeyTable::forget_thread_key() noexcept {
  LastKey& last = last_key();
  if (!last.text.empty()) ::explicit_bzero(last.text.data(), last.text.size());
  last.text.clear();
  last.digest = {};
}

bool KeyTable::allows(const GatewayKey& key, std::string_view model) {
  if (key.models.empty()) return true;
  return std::any_of(key.models.begin(), key.models.end(), [&](const std::string& allowed) {
    if (allowed == model) return true;
    // "provider/*": every model of that provider.
    return allowed.size() >= 2 && allowed.ends_with("/*") &&
           model.starts_with(std::string_view(allowed).substr(0, allowed.size() - 1));
  });
}

std::optional<LimitRefusal> LocalKeyLimits::admit(const GatewayKey& key) {
  if (!key.requests_per_minute && !key.usd_per_day) return std::nullopt;
  const auto wall = std::chrono::system_clock::now();
  const auto now = Clock::now();
  const std::lock_guard lock(mutex_);
  KeyState& state = states_.try_emplace(key.name).first->second;
  if (key.usd_per_day) {
    const int64_t today = utc_day(wall);
    if (state.day != today) {
      state.day = today;
      state.spent = 0;
    }
    if (state.spent >= *key.usd_per_day) {
      return LimitRefusal{fmt::format("gateway key '{}' has used its budget of {} USD for today (UTC); it "
                                      "renews at midnight UTC",
                                      key.name, *key.usd_per_day),
                          seconds_to_next_utc_day(wall), 429, "limit"};
    }
  }
  if (key.requests_per_minute) {
    const double rate_per_s = *key.requests_per_minute / 60.0;
    const double capacity = std::max(1.0, *key.requests_per_minute);
    if (state.tokens < 0) {
      state.tokens = capacity;
    } else {
      const double elapsed = std::chrono::duration<double>(now - state.refilled).count();
      state.tokens = std::min(capacity, state.tokens + elapsed * rate_per_s);
    }
    state.refilled = now;
    if (state.tokens < 1.0) {
      const double wait_s = (1.0 - state.tokens) / rate_per_s;
      return LimitRefusal{fmt::format("gateway key '{}' is over its rate of {} requests per minute; retry after "
                                      "the time in Retry-After",
                                      key.name, *key.requests_per_minute),
                          std::max<int64_t>(1, static_cast<int64_t>(std::ceil(wait_s))), 429, "limit"};
    }
    state.tokens -= 1.0;
  }
  return std::nullopt;
}

void LocalKeyLimits::charge(const GatewayKey& key, double usd) {
  if (!key.usd_per_day || !(usd > 0) || !std::isfinite(usd)) return;
  const int64_t today = utc_day(std::chrono::system_clock::now());
  const std::lock_guard lock(mutex_);
  KeyState& state = states_.try_emplace(key.name).first->second;
  if (state.day != today) {
    state.day = today;
    state.spent = 0;
  }
  state.spent += usd;
}

double LocalKeyLimits::spent_today(std::string_view key_name) const {
  const std::lock_guard lock(mutex_);
  const auto found = states_.find(key_name);
  if (found == states_.end() || found->second.day != utc_day(std::chrono::system_clock::now())) return 0;
  return found->second.spent;
}

}  // namespace majordomo::gateway
