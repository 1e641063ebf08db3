// TreeAnnounce codec: golden bytes + an independently computed BIP-340
// signature, exact signature coverage, round trips, rejections, ancestry checks.

#include "proto/stp/wire.h"
#include "test_util.h"

namespace fips {
namespace {

using test::hex;
using test::secret_of_byte;
using test::unhex;

NodeAddr addr_hex(const std::string& h) { return NodeAddr{test::unhex_array<16>(h)}; }
NodeAddr addr_byte(uint8_t b) {  // the reference tests' make_node_addr
  NodeAddr a;
  a.bytes[0] = b;
  return a;
}

std::vector<uint8_t> encode(const stp::TreeAnnounce& m) {
  std::vector<uint8_t> out(stp::tree_announce_wire_size(m));
  Writer w{MutByteSpan(out)};
  auto st = stp::encode_tree_announce(w, m);
  EXPECT_TRUE(st.ok()) << describe(st.error());
  EXPECT_EQ(w.pos(), out.size());
  return out;
}

// Computed outside this code base (Python BIP-340 reference code, aux = 0):
// identity 0x01*32 (node ec3925bd..) declares parent 46f68803.. (identity
// 0x02*32), sequence 5, timestamp 1700000000; ancestry [self(5, 1700000000),
// parent(3, 1699999000)]; signature over SHA-256 of the 48 signed bytes.
const char* kNode1 = "ec3925bdbd24aa1cfd002f9ccf52f2bc";
const char* kNode2 = "46f68803bbf389e1df0f3e3af39c30c4";
const char* kGoldenSigned =
    "ec3925bdbd24aa1cfd002f9ccf52f2bc46f68803bbf389e1df0f3e3af39c30c4"
    "050000000000000000f1536500000000";
const char* kGoldenSig =
    "272bdd6d4b07a105847d27f130520d59f5beeb0f3b43e19216c3403364f9b75f"
    "a8a27ddef34d866233e847a2c3de9bc3d23d725bf2bbcff640b32d56cc15fa4b";
const std::string kGoldenMsg = std::string("1001") + "0500000000000000" + "00f1536500000000" +
                               kNode2 + "0200" + kNode1 + "0500000000000000" +
                               "00f1536500000000" + kNode2 + "0300000000000000" +
                               "18ed536500000000" + kGoldenSig;

stp::TreeAnnounce golden_announce() {
  stp::TreeAnnounce m;
  m.sequence = 5;
  m.timestamp = 1700000000;
  m.parent = addr_hex(kNode2);
  m.ancestry = {{addr_hex(kNode1), 5, 1700000000}, {addr_hex(kNode2), 3, 1699999000}};
  m.signature = test::unhex_array<64>(kGoldenSig);
  return m;
}

TEST(StpWire, GoldenBytesAndForeignSignature) {
  const auto m = golden_announce();
  auto bytes = encode(m);
  ASSERT_EQ(bytes.size(), 164u);  // 100 + 2 * 32
  EXPECT_EQ(hex(bytes), kGoldenMsg);
  EXPECT_EQ(hex(stp::signed_bytes(m)), kGoldenSigned);

  auto d = stp::decode_tree_announce(bytes);
  ASSERT_TRUE(d.ok()) << describe(d.error());
  EXPECT_EQ(d->sequence, 5u);
  EXPECT_EQ(d->timestamp, 1700000000u);
  EXPECT_EQ(d->parent, addr_hex(kNode2));
  EXPECT_EQ(d->node_addr(), addr_hex(kNode1));
  EXPECT_FALSE(d->is_root());
  ASSERT_EQ(d->ancestry.size(), 2u);
  EXPECT_EQ(d->ancestry.at(1), (stp::AncestryEntry{addr_hex(kNode2), 3, 1699999000}));
  EXPECT_EQ(d->to_owned(), m);
  EXPECT_EQ(hex(stp::signed_bytes(*d)), kGoldenSigned);
  EXPECT_EQ(stp::check_ancestry(*d), stp::AncestryCheck::kOk);

  // The foreign signature verifies under identity 1 only.
  auto id1 = Identity::from_secret(secret_of_byte(1));
  auto id2 = Identity::from_secret(secret_of_byte(2));
  ASSERT_EQ(id1.node_addr(), addr_hex(kNode1));
  EXPECT_TRUE(stp::verify_tree_announce(id1.as_peer(), *d));
  EXPECT_TRUE(stp::verify_tree_announce(id1.as_peer(), m));
  EXPECT_FALSE(stp::verify_tree_announce(id2.as_peer(), *d));
  EXPECT_TRUE(stp::declared_by(*d, id1.node_addr()));
  EXPECT_FALSE(stp::declared_by(*d, id2.node_addr()));
}

TEST(StpWire, SignedBytesLayoutMatchesReferenceTest) {
  // Reference test_parent_declaration_signing_bytes: node 1, parent 2,
  // sequence 100, timestamp 1234567890 -> 48 bytes in this order.
  auto b = stp::signed_bytes(addr_byte(1), addr_byte(2), 100, 1234567890);
  EXPECT_EQ(hex(b),
            "01000000000000000000000000000000"
            "02000000000000000000000000000000"
            "6400000000000000"
            "d202964900000000");
}

TEST(StpWire, ReferenceSizesAndOffsets) {
  auto id = Identity::from_secret(secret_of_byte(3));
  const NodeAddr self = id.node_addr();
  // Root: 132 bytes, first byte 0x10, decodes to depth 0.
  stp::TreeAnnounce root{1, 5000, self, {{self, 1, 5000}}, {}};
  ASSERT_TRUE(stp::sign_tree_announce(id, root));
  auto bytes = encode(root);
  EXPECT_EQ(bytes.size(), 132u);
  EXPECT_EQ(bytes[0], 0x10);
  auto d = stp::decode_tree_announce(bytes);
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->is_root());
  EXPECT_TRUE(stp::verify_tree_announce(id.as_peer(), *d));
  // ancestry_count lives at offset 34; claiming 5 entries with 1 present fails.
  bytes[34] = 5;
  EXPECT_EQ(stp::decode_tree_announce(bytes).error().code, WireErr::kTruncated);

  // Depth 3: 228 bytes.
  stp::TreeAnnounce deep{5, 10000, addr_byte(2),
                         {{self, 5, 10000}, {addr_byte(2), 4, 9000}, {addr_byte(3), 3, 8000},
                          {addr_byte(4), 2, 7000}},
                         {}};
  ASSERT_TRUE(stp::sign_tree_announce(id, deep));
  EXPECT_EQ(encode(deep).size(), 228u);
}

TEST(StpWire, SignatureCoversExactlyTheDeclaration) {
  auto id = Identity::from_secret(secret_of_byte(7));
  stp::TreeAnnounce m{42, 1700000123, addr_byte(2),
                      {{id.node_addr(), 42, 1700000123}, {addr_byte(2), 9, 11}, {addr_byte(1), 8, 10}},
                      {}};
  // Signing refuses a declaration for another node.
  stp::TreeAnnounce other = m;
  other.ancestry[0].node_addr = addr_byte(9);
  EXPECT_FALSE(stp::sign_tree_announce(id, other));
  ASSERT_TRUE(stp::sign_tree_announce(id, m));
  const auto good = encode(m);
  const PeerIdentity peer = id.as_peer();
  ASSERT_TRUE(stp::verify_tree_announce(peer, *stp::decode_tree_announce(good)));

  // Wire positions feeding the 48 signed bytes, plus the signature itself.
  auto covered = [&](size_t i) {
    return (i >= stp::kOffSequence && i < stp::kOffAncestryCount) ||  // seq, ts, parent
           (i >= stp::kOffAncestry && i < stp::kOffAncestry + 16) ||   // ancestry[0].node_addr
           i >= good.size() - stp::kSignatureSize;                      // signature
  };
  for (size_t i = 0; i < good.size(); ++i) {
    SCOPED_TRACE(i);
    for (uint8_t mask : {uint8_t{0x01}, uint8_t{0x80}, uint8_t{0xFF}}) {
      auto bad = good;
      bad[i] ^= mask;
      auto d = stp::decode_tree_announce(bad);
      if (i < 2) {
        EXPECT_FALSE(d.ok());  // msg_type, version: not signed but checked
        continue;
      }
      if (i == stp::kOffAncestryCount || i == stp::kOffAncestryCount + 1) {
        // The count changes the layout: more entries run out of bytes, fewer
        // leave trailing bytes (ignored, as the reference) and move the
        // signature, which then no longer verifies.
        if (d.ok()) {
          EXPECT_FALSE(stp::verify_tree_announce(peer, *d));
        }
        continue;
      }
      ASSERT_TRUE(d.ok()) << describe(d.error());
      // Uncovered: ancestry[0].sequence/timestamp and every later entry.
      EXPECT_EQ(stp::verify_tree_announce(peer, *d), !covered(i));
    }
  }
  // A peer signing (with its own key) a declaration that names another node
  // is rejected by the explicit address check, though the Schnorr check passes.
  stp::TreeAnnounce forged = m;
  forged.ancestry[0].node_addr = addr_byte(9);
  forged.signature = id.sign(stp::signed_bytes(forged));
  EXPECT_TRUE(peer.verify(stp::signed_bytes(forged), forged.signature));
  EXPECT_FALSE(stp::verify_tree_announce(peer, forged));
  EXPECT_FALSE(stp::verify_tree_announce(peer, *stp::decode_tree_announce(encode(forged))));
  // The owned form agrees.
  auto changed = m;
  changed.ancestry[2].node_addr = addr_byte(0);
  EXPECT_TRUE(stp::verify_tree_announce(peer, changed));
  changed.parent = addr_byte(3);
  EXPECT_FALSE(stp::verify_tree_announce(peer, changed));
}

TEST(StpWire, Rejections) {
  const auto good = encode(golden_announce());
  for (size_t n = 0; n < good.size(); ++n)
    EXPECT_EQ(stp::decode_tree_announce(ByteSpan(good).first(n)).error().code, WireErr::kTruncated)
        << n;
  // Trailing bytes are accepted and ignored (reference TreeAnnounce::decode
  // checks a minimum length only); the decoded announce is the same.
  auto bad = good;
  bad.insert(bad.end(), {0x00, 0xEE, 0xFF});
  {
    auto r = stp::decode_tree_announce(bad);
    ASSERT_TRUE(r.ok()) << describe(r.error());
    auto g = stp::decode_tree_announce(good);
    EXPECT_EQ(r->sequence, g->sequence);
    EXPECT_EQ(r->parent, g->parent);
    EXPECT_EQ(r->ancestry.size(), g->ancestry.size());
    EXPECT_EQ(hex(r->signature), hex(g->signature));
  }
  bad = good;
  bad[0] = 0x20;
  EXPECT_EQ(stp::decode_tree_announce(bad).error().code, WireErr::kBadType);
  for (uint8_t v : {uint8_t{0x00}, uint8_t{0x02}, uint8_t{0xFF}}) {
    bad = good;
    bad[1] = v;  // reference: UnsupportedVersion(v)
    auto e = stp::decode_tree_announce(bad).error();
    EXPECT_EQ(e.code, WireErr::kBadVersion);
    EXPECT_EQ(e.got, v);
  }
  // ancestry_count 0 with exactly the 100 fixed bytes (reference: Malformed).
  std::vector<uint8_t> zero(good.begin(), good.begin() + stp::kOffAncestry);
  zero[34] = 0;
  zero[35] = 0;
  zero.insert(zero.end(), 64, 0xAB);
  EXPECT_EQ(stp::decode_tree_announce(zero).error().code, WireErr::kBadValue);
  // Count beyond what a link message can hold: kTooLarge even with few bytes.
  bad = good;
  store_u16le(bad.data() + 34, static_cast<uint16_t>(stp::kMaxAncestryEntries + 1));
  EXPECT_EQ(stp::decode_tree_announce(bad).error().code, WireErr::kTooLarge);
}

TEST(StpWire, LimitIsExactlyWhatFitsInALinkMessage) {
  stp::TreeAnnounce m;
  m.parent = addr_byte(1);
  m.ancestry.assign(stp::kMaxAncestryEntries, stp::AncestryEntry{addr_byte(1), 1, 2});
  auto bytes = encode(m);
  EXPECT_LE(bytes.size(), stp::kMaxLinkMessageSize);
  auto d = stp::decode_tree_announce(bytes);
  ASSERT_TRUE(d.ok()) << describe(d.error());
  EXPECT_EQ(d->ancestry.size(), stp::kMaxAncestryEntries);
  EXPECT_GT(stp::tree_announce_wire_size(stp::kMaxAncestryEntries + 1), stp::kMaxLinkMessageSize);

  std::vector<uint8_t> out(stp::tree_announce_wire_size(stp::kMaxAncestryEntries + 1));
  Writer w{MutByteSpan(out)};
  m.ancestry.push_back(m.ancestry.back());
  EXPECT_EQ(stp::encode_tree_announce(w, m).error().code, WireErr::kTooLarge);
  EXPECT_EQ(w.pos(), 0u);
  m.ancestry.clear();
  EXPECT_EQ(stp::encode_tree_announce(w, m).error().code, WireErr::kBadValue);
  uint8_t small[99];
  Writer w2{MutByteSpan(small)};
  EXPECT_EQ(stp::encode_tree_announce(w2, golden_announce()).error().code, WireErr::kNoSpace);
}

TEST(StpWire, AncestryChecksMirrorReference) {
  auto check = [](NodeAddr parent, std::vector<NodeAddr> path) {
    stp::TreeAnnounce m{5, 1000, parent, {}, {}};
    for (auto& a : path) m.ancestry.push_back({a, 1, 1});
    auto bytes = encode(m);
    return stp::check_ancestry(*stp::decode_tree_announce(bytes));
  };
  const NodeAddr me = addr_byte(9);
  EXPECT_EQ(check(addr_byte(2), {me, addr_byte(2), addr_byte(1)}), stp::AncestryCheck::kOk);
  EXPECT_EQ(check(me, {me}), stp::AncestryCheck::kOk);
  EXPECT_EQ(check(addr_byte(0), {me, addr_byte(0), addr_byte(1)}), stp::AncestryCheck::kRootNotMinimum);
  EXPECT_EQ(check(addr_byte(2), {me, addr_byte(3), addr_byte(1)}), stp::AncestryCheck::kParentMismatch);
  EXPECT_EQ(check(me, {me, addr_byte(0)}), stp::AncestryCheck::kRootWithAncestors);
  EXPECT_EQ(check(addr_byte(2), {me}), stp::AncestryCheck::kTooShort);
}

rc::Gen<NodeAddr> gen_addr() {
  return rc::gen::map(rc::gen::container<std::vector<uint8_t>>(16, rc::gen::arbitrary<uint8_t>()),
                      [](const std::vector<uint8_t>& v) {
                        NodeAddr a;
                        std::copy(v.begin(), v.end(), a.bytes.begin());
                        return a;
                      });
}

RC_GTEST_PROP(StpWireProp, RoundTrip, ()) {
  stp::TreeAnnounce m;
  m.sequence = *rc::gen::arbitrary<uint64_t>();
  m.timestamp = *rc::gen::arbitrary<uint64_t>();
  m.parent = *gen_addr();
  const size_t n = *rc::gen::inRange<size_t>(1, 40);
  for (size_t i = 0; i < n; ++i)
    m.ancestry.push_back({*gen_addr(), *rc::gen::arbitrary<uint64_t>(), *rc::gen::arbitrary<uint64_t>()});
  auto sig = *rc::gen::container<std::vector<uint8_t>>(64, rc::gen::arbitrary<uint8_t>());
  std::copy(sig.begin(), sig.end(), m.signature.begin());

  std::vector<uint8_t> out(stp::tree_announce_wire_size(m));
  Writer w{MutByteSpan(out)};
  RC_ASSERT(stp::encode_tree_announce(w, m).ok());
  RC_ASSERT(w.pos() == out.size());
  auto d = stp::decode_tree_announce(out);
  RC_ASSERT(d.ok());
  RC_ASSERT(d->to_owned() == m);
  RC_ASSERT(stp::signed_bytes(*d) == stp::signed_bytes(m));
  // Re-encoding the view gives the same bytes.
  std::vector<uint8_t> again(out.size());
  Writer w2{MutByteSpan(again)};
  RC_ASSERT(stp::encode_tree_announce(w2, *d).ok());
  RC_ASSERT(again == out);
}

RC_GTEST_PROP(StpWireProp, GarbageFailsOrRoundTrips, ()) {
  auto bytes =
      *rc::gen::resize(400, rc::gen::container<std::vector<uint8_t>>(rc::gen::arbitrary<uint8_t>()));
  if (*rc::gen::arbitrary<bool>() && bytes.size() >= 36) {  // steer toward the real header
    bytes[0] = 0x10;
    bytes[1] = 0x01;
    const size_t n = (bytes.size() >= 100) ? (bytes.size() - 100) / 32 : 0;
    if (n > 0) bytes.resize(100 + 32 * n);
    store_u16le(bytes.data() + 34, static_cast<uint16_t>(n));
  }
  auto d = stp::decode_tree_announce(bytes);
  RC_TAG(d.ok());
  if (d.ok()) {
    std::vector<uint8_t> out(stp::tree_announce_wire_size(*d));
    Writer w{MutByteSpan(out)};
    RC_ASSERT(stp::encode_tree_announce(w, *d).ok());
    // Trailing bytes are accepted and dropped (docs/interop.md): the
    // encoding equals the input's prefix.
    RC_ASSERT(out.size() <= bytes.size());
    RC_ASSERT(std::equal(out.begin(), out.end(), bytes.begin()));
  }
}

}  // namespace
}  // namespace fips
