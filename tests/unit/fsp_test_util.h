// Helpers shared by the FSP codec tests (fsp_wire_test, fsp_signals_test).
#pragma once

#include <initializer_list>
#include <string>
#include <vector>

#include "proto/coords.h"
#include "test_util.h"

namespace fips::fsptest {

inline NodeAddr addr_of(uint8_t first) {
  NodeAddr a;
  a.bytes[0] = first;
  return a;
}
inline Coords coords_of(std::initializer_list<uint8_t> firsts) {
  Coords c;
  for (uint8_t f : firsts) c.push_back(addr_of(f));
  return c;
}
inline std::string addr_hex(uint8_t first) { return test::hex(addr_of(first).bytes); }

// Runs an encoder into a buffer of exactly `size` bytes; expects success and
// a full buffer.
template <class Fn>
std::vector<uint8_t> encode_ok(size_t size, Fn&& fn) {
  std::vector<uint8_t> out(size);
  Writer w{MutByteSpan(out)};
  auto st = fn(w);
  EXPECT_TRUE(st.ok()) << describe(st.error());
  EXPECT_EQ(w.pos(), size);
  return out;
}

inline rc::Gen<Coords> gen_coords(size_t min, size_t max) {
  return rc::gen::map(rc::gen::mapcat(rc::gen::inRange(min, max + 1),
                                      [](size_t n) {
                                        return rc::gen::container<std::vector<std::array<uint8_t, 16>>>(
                                            n, rc::gen::arbitrary<std::array<uint8_t, 16>>());
                                      }),
                      [](const std::vector<std::array<uint8_t, 16>>& v) {
                        Coords c;
                        for (auto& a : v) c.push_back(NodeAddr{a});
                        return c;
                      });
}
inline std::vector<uint8_t> gen_bytes(size_t n) {
  return *rc::gen::container<std::vector<uint8_t>>(n, rc::gen::arbitrary<uint8_t>());
}

}  // namespace fips::fsptest
