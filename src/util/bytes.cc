#include "util/bytes.h"

#include <string>

namespace fips {

std::string_view wire_err_name(WireErr e) {
  switch (e) {
    case WireErr::kTruncated: return "truncated";
    case WireErr::kTrailing: return "trailing_bytes";
    case WireErr::kBadVersion: return "bad_version";
    case WireErr::kBadPhase: return "bad_phase";
    case WireErr::kBadType: return "bad_type";
    case WireErr::kReservedBits: return "reserved_bits";
    case WireErr::kBadLength: return "bad_length";
    case WireErr::kBadValue: return "bad_value";
    case WireErr::kTooLarge: return "too_large";
    case WireErr::kNoSpace: return "no_space";
  }
  return "unknown";
}

std::string describe(const WireError& e) {
  std::string s(wire_err_name(e.code));
  s += " (";
  s += e.field ? e.field : "";
  s += ": expected ";
  s += std::to_string(e.expected);
  s += ", got ";
  s += std::to_string(e.got);
  s += ")";
  return s;
}

}  // namespace fips
