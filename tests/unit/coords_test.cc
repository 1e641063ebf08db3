// Tree distance over coordinates, checked against hand-worked trees.
#include "proto/coords.h"
#include "test_util.h"

namespace fips {
namespace {

NodeAddr na(uint8_t b) {
  NodeAddr a;
  a.bytes.fill(b);
  return a;
}

TEST(Coords, TreeDistance) {
  // Tree: R root; A, B children of R; C child of A; D child of C.
  Coords r{na(0)}, a{na(1), na(0)}, b{na(2), na(0)}, c{na(3), na(1), na(0)},
      d{na(4), na(3), na(1), na(0)};
  EXPECT_EQ(tree_distance(r, r), 0u);
  EXPECT_EQ(tree_distance(a, r), 1u);
  EXPECT_EQ(tree_distance(a, b), 2u);
  EXPECT_EQ(tree_distance(c, b), 3u);
  EXPECT_EQ(tree_distance(d, b), 4u);
  EXPECT_EQ(tree_distance(d, a), 2u);
  EXPECT_EQ(tree_distance(d, c), 1u);
  Coords other_root{na(5)};
  EXPECT_EQ(tree_distance(a, other_root), UINT64_MAX);
  EXPECT_EQ(tree_distance(a, Coords{}), UINT64_MAX);
  // View form agrees.
  std::vector<uint8_t> raw;
  for (auto& x : d) raw.insert(raw.end(), x.bytes.begin(), x.bytes.end());
  CoordsView dv(raw, d.size());
  EXPECT_EQ(tree_distance(b, dv), 4u);
}

}  // namespace
}  // namespace fips
