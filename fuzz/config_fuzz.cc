// fips.yaml loader on arbitrary bytes: parse_config_string() and, when that
// succeeds, validate_config() and inactive_config(); the same bytes as a
// RUST_LOG value. Any input: no crash, no exception escaping, no
// hang, bounded memory. (yaml-cpp itself is not instrumented, so coverage
// guidance only sees our side of the parse.)
#include <cstdlib>
#include <string>
#include <string_view>

#include "config/inactive.h"
#include "config/load.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    auto r = fips::parse_config_string(text, "fuzz");
    if (r.ok()) {
      fips::Config c = std::move(r).value();
      (void)fips::validate_config(c);
      (void)fips::effective_log_level(c, nullptr, nullptr);
      (void)fips::inactive_config(c);
    } else if (r.error().empty()) {
      std::abort();  // every error must say something
    }
    // The same bytes as a RUST_LOG directive list (NUL-terminated copy).
    const std::string env(text);
    (void)fips::resolve_log_settings(fips::Config{}, env.c_str(), nullptr);
  } catch (...) {
    std::abort();  // the loader promises not to throw
  }
  return 0;
}
