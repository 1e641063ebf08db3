// Minimal levelled logger: printf-style, one line per call, to a replaceable
// sink (stderr by default; tests capture). Packet-path callers must rate
// limit (RateLimitedLog); counters are the real record of drops.
// Not here: metrics (node/ counters).
#pragma once

#include <cstdarg>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace fips {

enum class LogLevel : uint8_t { kTrace = 0, kDebug, kInfo, kWarn, kError, kOff };

std::string_view log_level_name(LogLevel l);
// trace|debug|info|warn|warning|error|off (case-insensitive); nullopt-like: returns false.
bool parse_log_level(std::string_view s, LogLevel& out);

void set_log_level(LogLevel l);
LogLevel log_level();
inline bool log_enabled(LogLevel l) { return l >= log_level(); }
// Replace where lines go (nullptr restores stderr). Receives the formatted line.
void set_log_sink(std::function<void(LogLevel, std::string_view)> sink);

void log_write(LogLevel l, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

// Emits at most one line per interval_ms for this call site; counts suppressed ones.
class RateLimitedLog {
 public:
  explicit RateLimitedLog(uint64_t interval_ms = 1000) : interval_ms_(interval_ms) {}
  bool should_log(uint64_t now_ms) {
    if (now_ms >= next_ms_) {
      next_ms_ = now_ms + interval_ms_;
      return true;
    }
    ++suppressed_;
    return false;
  }
  uint64_t take_suppressed() {
    uint64_t s = suppressed_;
    suppressed_ = 0;
    return s;
  }

 private:
  uint64_t interval_ms_;
  uint64_t next_ms_ = 0;
  uint64_t suppressed_ = 0;
};

}  // namespace fips

#define FIPS_LOG(level, ...)                                      \
  do {                                                            \
    if (::fips::log_enabled(level)) ::fips::log_write(level, __VA_ARGS__); \
  } while (0)
#define LOG_TRACE(...) FIPS_LOG(::fips::LogLevel::kTrace, __VA_ARGS__)
#define LOG_DEBUG(...) FIPS_LOG(::fips::LogLevel::kDebug, __VA_ARGS__)
#define LOG_INFO(...) FIPS_LOG(::fips::LogLevel::kInfo, __VA_ARGS__)
#define LOG_WARN(...) FIPS_LOG(::fips::LogLevel::kWarn, __VA_ARGS__)
#define LOG_ERROR(...) FIPS_LOG(::fips::LogLevel::kError, __VA_ARGS__)
