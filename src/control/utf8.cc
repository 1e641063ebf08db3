#include "control/utf8.h"

namespace fips {
namespace {

// For a lead byte: number of continuation bytes and the allowed range of the
// first one. Returns false for bytes that can never start a sequence.
bool lead_info(uint8_t b, uint8_t& need, uint8_t& lo, uint8_t& hi) {
  lo = 0x80;
  hi = 0xBF;
  if (b < 0x80) {
    need = 0;
  } else if (b >= 0xC2 && b <= 0xDF) {
    need = 1;
  } else if (b == 0xE0) {
    need = 2;
    lo = 0xA0;
  } else if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF) {
    need = 2;
  } else if (b == 0xED) {
    need = 2;
    hi = 0x9F;
  } else if (b == 0xF0) {
    need = 3;
    lo = 0x90;
  } else if (b >= 0xF1 && b <= 0xF3) {
    need = 3;
  } else if (b == 0xF4) {
    need = 3;
    hi = 0x8F;
  } else {
    return false;
  }
  return true;
}

}  // namespace

size_t utf8_sequence_len(std::string_view s) {
  if (s.empty()) return 0;
  uint8_t need = 0, lo = 0, hi = 0;
  if (!lead_info(static_cast<uint8_t>(s[0]), need, lo, hi)) return 0;
  if (s.size() < static_cast<size_t>(need) + 1) return 0;
  for (size_t k = 1; k <= need; ++k) {
    const auto c = static_cast<uint8_t>(s[k]);
    if (c < lo || c > hi) return 0;
    lo = 0x80;
    hi = 0xBF;
  }
  return static_cast<size_t>(need) + 1;
}

size_t utf8_invalid_len(std::string_view s) {
  uint8_t need = 0, lo = 0, hi = 0;
  if (s.empty() || !lead_info(static_cast<uint8_t>(s[0]), need, lo, hi)) return 1;
  size_t k = 1;
  for (; k <= need && k < s.size(); ++k) {
    const auto c = static_cast<uint8_t>(s[k]);
    if (c < lo || c > hi) break;
    lo = 0x80;
    hi = 0xBF;
  }
  return k;
}

bool utf8_valid(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    if (static_cast<uint8_t>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    const size_t n = utf8_sequence_len(s.substr(i));
    if (n == 0) return false;
    i += n;
  }
  return true;
}

void Utf8Stream::feed(uint8_t b) {
  if (!ok_) return;
  if (need_ > 0) {
    if (b < lo_ || b > hi_) {
      ok_ = false;
      return;
    }
    --need_;
    lo_ = 0x80;
    hi_ = 0xBF;
    return;
  }
  if (!lead_info(b, need_, lo_, hi_)) ok_ = false;
}

}  // namespace fips
