// Shared helpers for unit tests: vector files, hex, deterministic Noise ephemerals.
#pragma once

#include <gtest/gtest.h>
// rapidcheck/gtest.h needs gtest first.
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "noise/handshake.h"
#include "util/hex.h"

namespace fips {

// The one definition of the friend declared in HandshakeState: lets tests fix
// the next ephemeral key. Exists only in the test binary.
struct NoiseTestHooks {
  static void set_next_ephemeral(HandshakeState& hs, SecretKey e) {
    hs.next_ephemeral_ = std::move(e);
  }
};

}  // namespace fips

namespace fips::test {

inline nlohmann::json load_vectors(const std::string& name) {
  std::ifstream f(std::string(FIPS_VECTORS_DIR) + "/" + name);
  if (!f) throw std::runtime_error("cannot open vector file " + name);
  return nlohmann::json::parse(f);
}

inline std::vector<uint8_t> unhex(const std::string& s) {
  auto v = from_hex(s);
  if (!v) throw std::runtime_error("bad hex in test: " + s);
  return *v;
}

template <size_t N>
std::array<uint8_t, N> unhex_array(const std::string& s) {
  std::array<uint8_t, N> a{};
  if (!from_hex_into(s, a)) throw std::runtime_error("bad hex in test: " + s);
  return a;
}

inline SecretKey secret_of_byte(uint8_t b) {
  std::array<uint8_t, 32> raw;
  raw.fill(b);
  return *SecretKey::from_bytes(raw);
}

inline std::string hex(std::span<const uint8_t> d) { return to_hex(d); }

}  // namespace fips::test
