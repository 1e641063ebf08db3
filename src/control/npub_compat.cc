#include "control/npub_compat.h"

#include <cstring>
#include <vector>

namespace fips {
namespace {

constexpr std::string_view kCharset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
constexpr uint32_t kBech32Const = 1;
constexpr uint32_t kBech32mConst = 0x2bc830a3;
constexpr size_t kChecksumLen = 6;
constexpr size_t kCodeLength = 1023;

int fe32(char c) {
  if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  const size_t p = kCharset.find(c);
  return p == std::string_view::npos ? -1 : static_cast<int>(p);
}

uint32_t polymod_step(uint32_t chk, uint8_t v) {
  static constexpr uint32_t kGen[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
  const uint32_t top = chk >> 25;
  chk = ((chk & 0x1ffffff) << 5) ^ v;
  for (int i = 0; i < 5; ++i)
    if ((top >> i) & 1) chk ^= kGen[i];
  return chk;
}

bool is_upper(char c) {
  return c >= 'A' && c <= 'Z';
}
bool is_lower(char c) {
  return c >= 'a' && c <= 'z';
}

// UncheckedHrpstring::new: character checks, separator, Hrp::parse.
bool parse_hrpstring(std::string_view s, std::string_view& hrp, std::string_view& data) {
  bool has_upper = false, has_lower = false;
  size_t sep = std::string_view::npos;
  for (size_t k = s.size(); k-- > 0;) {
    const char c = s[k];
    const bool in_data = sep == std::string_view::npos;
    if (c == '1' && in_data) {
      sep = k;
    } else if (in_data && (static_cast<unsigned char>(c) >= 0x80 || fe32(c) < 0)) {
      return false;  // non-ASCII (any byte of it) or not in the charset
    }
    if (is_upper(c))
      has_upper = true;
    else if (is_lower(c))
      has_lower = true;
  }
  if ((has_upper && has_lower) || sep == std::string_view::npos) return false;
  hrp = s.substr(0, sep);
  data = s.substr(sep + 1);
  if (hrp.empty() || hrp.size() > 83) return false;
  for (char c : hrp) {
    const auto b = static_cast<unsigned char>(c);
    if (b < 33 || b > 126) return false;
  }
  return true;
}

bool checksum_ok(std::string_view whole, std::string_view hrp, std::string_view data,
                 uint32_t constant) {
  if (data.size() < kChecksumLen || whole.size() > kCodeLength) return false;
  uint32_t chk = 1;
  for (char c : hrp) {
    const auto b = static_cast<uint8_t>(is_upper(c) ? c - 'A' + 'a' : c);
    chk = polymod_step(chk, static_cast<uint8_t>(b >> 5));
  }
  chk = polymod_step(chk, 0);
  for (char c : hrp) {
    const auto b = static_cast<uint8_t>(is_upper(c) ? c - 'A' + 'a' : c);
    chk = polymod_step(chk, static_cast<uint8_t>(b & 31));
  }
  for (char c : data) chk = polymod_step(chk, static_cast<uint8_t>(fe32(c)));
  return chk == constant;
}

}  // namespace

Result<PeerIdentity, std::string> decode_npub_compat(std::string_view s) {
  std::string_view hrp, data;
  if (!parse_hrpstring(s, hrp, data))
    return Err{std::string("bech32 decoding error: parsing failed")};
  if (!checksum_ok(s, hrp, data, kBech32mConst) && !checksum_ok(s, hrp, data, kBech32Const))
    return Err{std::string("bech32 decoding error: no valid bech32 or bech32m checksum")};

  std::string lower_hrp(hrp);
  for (char& c : lower_hrp)
    if (is_upper(c)) c = static_cast<char>(c - 'A' + 'a');
  if (lower_hrp != "npub")
    return Err{"invalid npub: expected 'npub' prefix, got '" + std::string(hrp) + "'"};

  // 5-bit groups to bytes; leftover bits are dropped, not checked.
  std::vector<uint8_t> bytes;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : data.substr(0, data.size() - kChecksumLen)) {
    acc = ((acc << 5) | static_cast<uint32_t>(fe32(c))) & 0xFFF;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes.push_back(static_cast<uint8_t>(acc >> bits));
    }
  }
  if (bytes.size() != 32)
    return Err{"invalid npub: expected 32 bytes, got " + std::to_string(bytes.size())};
  XOnlyKey x{};
  std::memcpy(x.data(), bytes.data(), 32);
  auto peer = PeerIdentity::from_xonly(x);
  if (!peer) return Err{std::string("invalid secret key: malformed public key")};
  return *peer;
}

}  // namespace fips
