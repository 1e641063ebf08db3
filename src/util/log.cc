#include "util/log.h"

#include <cstdio>
#include <ctime>

namespace fips {
namespace {
LogLevel g_level = LogLevel::kInfo;
std::function<void(LogLevel, std::string_view)>& sink() {
  static std::function<void(LogLevel, std::string_view)> s;
  return s;
}
}  // namespace

std::string_view log_level_name(LogLevel l) {
  switch (l) {
    case LogLevel::kTrace: return "TRACE";
    case LogLevel::kDebug: return "DEBUG";
    case LogLevel::kInfo: return "INFO";
    case LogLevel::kWarn: return "WARN";
    case LogLevel::kError: return "ERROR";
    case LogLevel::kOff: return "OFF";
  }
  return "?";
}

bool parse_log_level(std::string_view s, LogLevel& out) {
  std::string l(s);
  for (char& c : l) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (l == "trace") out = LogLevel::kTrace;
  else if (l == "debug") out = LogLevel::kDebug;
  else if (l == "info") out = LogLevel::kInfo;
  else if (l == "warn" || l == "warning") out = LogLevel::kWarn;
  else if (l == "error") out = LogLevel::kError;
  else if (l == "off") out = LogLevel::kOff;
  else return false;
  return true;
}

void set_log_level(LogLevel l) { g_level = l; }
LogLevel log_level() { return g_level; }
void set_log_sink(std::function<void(LogLevel, std::string_view)> s) { sink() = std::move(s); }

void log_write(LogLevel l, const char* fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = std::vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  std::string_view text(msg, static_cast<size_t>(n) < sizeof msg ? static_cast<size_t>(n) : sizeof msg - 1);
  if (sink()) {
    sink()(l, text);
    return;
  }
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm {};
  gmtime_r(&ts.tv_sec, &tm);
  std::fprintf(stderr, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %5s %.*s\n", tm.tm_year + 1900,
               tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
               log_level_name(l).data(), static_cast<int>(text.size()), text.data());
}

}  // namespace fips
