#include "util/bech32.h"

namespace fips {
namespace {

constexpr char kCharset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

int8_t charset_rev(char c) {
  for (int8_t i = 0; i < 32; ++i)
    if (kCharset[i] == c) return i;
  return -1;
}

uint32_t polymod(const std::vector<uint8_t>& v) {
  static constexpr uint32_t kGen[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd,
                                       0x2a1462b3};
  uint32_t chk = 1;
  for (uint8_t x : v) {
    uint32_t top = chk >> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ x;
    for (int i = 0; i < 5; ++i)
      if ((top >> i) & 1) chk ^= kGen[i];
  }
  return chk;
}

std::vector<uint8_t> hrp_expand(std::string_view hrp) {
  std::vector<uint8_t> out;
  out.reserve(hrp.size() * 2 + 1);
  for (char c : hrp) out.push_back(static_cast<uint8_t>(static_cast<uint8_t>(c) >> 5));
  out.push_back(0);
  for (char c : hrp) out.push_back(static_cast<uint8_t>(static_cast<uint8_t>(c) & 31));
  return out;
}

}  // namespace

std::string_view bech32_err_name(Bech32Err e) {
  switch (e) {
    case Bech32Err::kBadLength: return "bad length";
    case Bech32Err::kMixedCase: return "mixed case";
    case Bech32Err::kBadChar: return "invalid character";
    case Bech32Err::kNoSeparator: return "missing separator or empty prefix";
    case Bech32Err::kBadChecksum: return "bad checksum";
    case Bech32Err::kBadPadding: return "bad padding";
  }
  return "unknown";
}

std::string bech32_encode(std::string_view hrp, std::span<const uint8_t> data) {
  std::vector<uint8_t> five;
  uint32_t acc = 0;
  int bits = 0;
  for (uint8_t b : data) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      five.push_back(static_cast<uint8_t>((acc >> bits) & 31));
    }
  }
  if (bits > 0) five.push_back(static_cast<uint8_t>((acc << (5 - bits)) & 31));

  std::vector<uint8_t> chk_in = hrp_expand(hrp);
  chk_in.insert(chk_in.end(), five.begin(), five.end());
  chk_in.insert(chk_in.end(), 6, 0);
  uint32_t pm = polymod(chk_in) ^ 1;

  std::string out(hrp);
  out.push_back('1');
  for (uint8_t v : five) out.push_back(kCharset[v]);
  for (int i = 0; i < 6; ++i) out.push_back(kCharset[(pm >> (5 * (5 - i))) & 31]);
  return out;
}

Result<Bech32Decoded, Bech32Err> bech32_decode(std::string_view s) {
  if (s.size() < 8 || s.size() > 90) return Err{Bech32Err::kBadLength};
  bool lower = false, upper = false;
  for (char c : s) {
    if (c < 33 || c > 126) return Err{Bech32Err::kBadChar};
    if (c >= 'a' && c <= 'z') lower = true;
    if (c >= 'A' && c <= 'Z') upper = true;
  }
  if (lower && upper) return Err{Bech32Err::kMixedCase};
  size_t sep = s.rfind('1');
  if (sep == std::string_view::npos || sep == 0) return Err{Bech32Err::kNoSeparator};
  if (s.size() - sep - 1 < 6) return Err{Bech32Err::kBadLength};

  std::string hrp(s.substr(0, sep));
  for (char& c : hrp)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');

  std::vector<uint8_t> values;
  values.reserve(s.size() - sep - 1);
  for (size_t i = sep + 1; i < s.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    int8_t v = charset_rev(c);
    if (v < 0) return Err{Bech32Err::kBadChar};
    values.push_back(static_cast<uint8_t>(v));
  }

  std::vector<uint8_t> chk_in = hrp_expand(hrp);
  chk_in.insert(chk_in.end(), values.begin(), values.end());
  if (polymod(chk_in) != 1) return Err{Bech32Err::kBadChecksum};

  values.resize(values.size() - 6);
  Bech32Decoded out;
  out.hrp = std::move(hrp);
  uint32_t acc = 0;
  int bits = 0;
  for (uint8_t v : values) {
    acc = (acc << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.data.push_back(static_cast<uint8_t>((acc >> bits) & 0xff));
    }
  }
  if (bits >= 5 || (acc & ((1u << bits) - 1u)) != 0) return Err{Bech32Err::kBadPadding};
  return out;
}

}  // namespace fips
