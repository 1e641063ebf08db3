// LookupRequest / LookupResponse codecs: golden bytes + an independently
// computed proof signature, exact proof coverage, round trips, rejections.

#include "proto/lookup/wire.h"
#include "test_util.h"

namespace fips {
namespace {

using test::hex;
using test::secret_of_byte;

NodeAddr addr_hex(const std::string& h) { return NodeAddr{test::unhex_array<16>(h)}; }
NodeAddr addr_byte(uint8_t b) {  // the reference tests' make_node_addr
  NodeAddr a;
  a.bytes[0] = b;
  return a;
}

const char* kNode1 = "ec3925bdbd24aa1cfd002f9ccf52f2bc";  // identity 0x01*32
const char* kNode2 = "46f68803bbf389e1df0f3e3af39c30c4";  // identity 0x02*32
const char* kRoot = "00000000000000000000000000000001";

std::vector<uint8_t> encode(const lookup::LookupRequest& m) {
  std::vector<uint8_t> out(lookup::lookup_request_wire_size(m));
  Writer w{MutByteSpan(out)};
  auto st = lookup::encode_lookup_request(w, m);
  EXPECT_TRUE(st.ok()) << describe(st.error());
  EXPECT_EQ(w.pos(), out.size());
  return out;
}
std::vector<uint8_t> encode(const lookup::LookupResponse& m) {
  std::vector<uint8_t> out(lookup::lookup_response_wire_size(m));
  Writer w{MutByteSpan(out)};
  auto st = lookup::encode_lookup_response(w, m);
  EXPECT_TRUE(st.ok()) << describe(st.error());
  EXPECT_EQ(w.pos(), out.size());
  return out;
}

// ---- LookupRequest ----

lookup::LookupRequest golden_request() {
  return {0x1122334455667788ULL, addr_hex(kNode2), addr_hex(kNode1), 64, 1280,
          {addr_hex(kNode1), addr_hex(kNode2)}};
}
const std::string kGoldenRequest = std::string("30") + "8877665544332211" + kNode2 + kNode1 + "40" +
                                   "0005" + "0200" + kNode1 + kNode2;

TEST(LookupWire, RequestGolden) {
  auto bytes = encode(golden_request());
  ASSERT_EQ(bytes.size(), 78u);  // 46 + 2 * 16
  EXPECT_EQ(hex(bytes), kGoldenRequest);
  auto d = lookup::decode_lookup_request(bytes);
  ASSERT_TRUE(d.ok()) << describe(d.error());
  EXPECT_EQ(d->request_id, 0x1122334455667788ULL);
  EXPECT_EQ(d->target, addr_hex(kNode2));
  EXPECT_EQ(d->origin, addr_hex(kNode1));
  EXPECT_EQ(d->ttl, 64);
  EXPECT_EQ(d->min_mtu, 1280);
  ASSERT_EQ(d->origin_coords.size(), 2u);
  EXPECT_EQ(d->origin_coords.at(1), addr_hex(kNode2));
  EXPECT_EQ(d->to_owned(), golden_request());
}

TEST(LookupWire, RequestReferenceCases) {
  // test_lookup_request_encode_decode_roundtrip: ttl 7 after forward(), min_mtu 1386.
  lookup::LookupRequest m{12345, addr_byte(10), addr_byte(20), 7, 1386, {addr_byte(20), addr_byte(0)}};
  auto bytes = encode(m);
  EXPECT_EQ(bytes[0], 0x30);
  auto d = lookup::decode_lookup_request(bytes);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->ttl, 7);
  EXPECT_EQ(d->min_mtu, 1386);
  for (uint16_t mtu : {uint16_t{0}, uint16_t{1386}, uint16_t{0xFFFF}}) {
    m.min_mtu = mtu;
    EXPECT_EQ(lookup::decode_lookup_request(encode(m))->min_mtu, mtu);
  }
  // Spec size table: origin depth 3 / 5 / 10 -> 110 / 142 / 222.
  EXPECT_EQ(lookup::lookup_request_wire_size(4), 110u);
  EXPECT_EQ(lookup::lookup_request_wire_size(6), 142u);
  EXPECT_EQ(lookup::lookup_request_wire_size(11), 222u);
}

TEST(LookupWire, RequestRejections) {
  const auto good = encode(golden_request());
  for (size_t n = 0; n < good.size(); ++n)
    EXPECT_EQ(lookup::decode_lookup_request(ByteSpan(good).first(n)).error().code, WireErr::kTruncated)
        << n;
  // Trailing bytes are accepted and ignored, as the reference's decoder.
  auto bad = good;
  bad.insert(bad.end(), {0x00, 0x01, 0x02});
  {
    auto r = lookup::decode_lookup_request(bad);
    ASSERT_TRUE(r.ok()) << describe(r.error());
    EXPECT_EQ(r->request_id, golden_request().request_id);
    EXPECT_EQ(r->origin_coords.size(), golden_request().origin_coords.size());
    EXPECT_EQ(lookup::lookup_request_wire_size(r->origin_coords.size()), good.size());
  }
  bad = good;
  bad[0] = 0x31;
  EXPECT_EQ(lookup::decode_lookup_request(bad).error().code, WireErr::kBadType);
  // Zero coordinates (reference: "coordinate with zero entries").
  std::vector<uint8_t> zero(good.begin(), good.begin() + 46);
  zero[44] = 0;
  zero[45] = 0;
  EXPECT_EQ(lookup::decode_lookup_request(zero).error().code, WireErr::kBadValue);
  bad = good;
  store_u16le(bad.data() + 44, static_cast<uint16_t>(lookup::kMaxRequestCoords + 1));
  EXPECT_EQ(lookup::decode_lookup_request(bad).error().code, WireErr::kTooLarge);

  // Encoder limits.
  lookup::LookupRequest m = golden_request();
  std::vector<uint8_t> out(lookup::lookup_request_wire_size(lookup::kMaxRequestCoords + 1));
  Writer w{MutByteSpan(out)};
  m.origin_coords.clear();
  EXPECT_EQ(lookup::encode_lookup_request(w, m).error().code, WireErr::kBadValue);
  m.origin_coords.assign(lookup::kMaxRequestCoords + 1, addr_byte(1));
  EXPECT_EQ(lookup::encode_lookup_request(w, m).error().code, WireErr::kTooLarge);
  EXPECT_EQ(w.pos(), 0u);
  m.origin_coords.pop_back();
  EXPECT_TRUE(lookup::encode_lookup_request(w, m).ok());
  EXPECT_LE(w.pos(), stp::kMaxLinkMessageSize);
  EXPECT_TRUE(lookup::decode_lookup_request(w.written()).ok());
  uint8_t small[77];
  Writer w2{MutByteSpan(small)};
  EXPECT_EQ(lookup::encode_lookup_request(w2, golden_request()).error().code, WireErr::kNoSpace);
}

// ---- LookupResponse ----

// Computed outside this code base (Python BIP-340 reference code, aux = 0):
// identity 0x02*32 signs SHA-256(request_id || target || count || coords).
const char* kGoldenProof =
    "b486884705f5b3f5217ae079d64fc9918e9039fa9003680b8a163ced24607328"
    "99eebebb44216de9295a8301098cdd58855357bc58315c534c70d65c70a2554c";
const std::string kGoldenProofBytes = std::string("efcdab8967452301") + kNode2 + "0200" + kNode2 + kRoot;
const std::string kGoldenResponse =
    std::string("31") + "efcdab8967452301" + kNode2 + "6a05" + "0200" + kNode2 + kRoot + kGoldenProof;

lookup::LookupResponse golden_response() {
  return {0x0123456789abcdefULL, addr_hex(kNode2), 1386, {addr_hex(kNode2), addr_hex(kRoot)},
          test::unhex_array<64>(kGoldenProof)};
}

TEST(LookupWire, ResponseGoldenAndForeignProof) {
  const auto m = golden_response();
  auto bytes = encode(m);
  ASSERT_EQ(bytes.size(), 125u);  // 93 + 2 * 16
  EXPECT_EQ(hex(bytes), kGoldenResponse);
  EXPECT_EQ(hex(lookup::proof_bytes(m.request_id, m.target, m.target_coords)), kGoldenProofBytes);

  auto d = lookup::decode_lookup_response(bytes);
  ASSERT_TRUE(d.ok()) << describe(d.error());
  EXPECT_EQ(d->request_id, 0x0123456789abcdefULL);
  EXPECT_EQ(d->target, addr_hex(kNode2));
  EXPECT_EQ(d->path_mtu, 1386);
  ASSERT_EQ(d->target_coords.size(), 2u);
  EXPECT_EQ(d->to_owned(), m);

  auto id1 = Identity::from_secret(secret_of_byte(1));
  auto id2 = Identity::from_secret(secret_of_byte(2));
  ASSERT_EQ(id2.node_addr(), addr_hex(kNode2));
  EXPECT_TRUE(lookup::verify_lookup_response(id2.as_peer(), *d));
  EXPECT_TRUE(lookup::verify_lookup_response(id2.as_peer(), m));
  EXPECT_FALSE(lookup::verify_lookup_response(id1.as_peer(), *d));
}

TEST(LookupWire, ProofBytesMatchReferenceTest) {
  // test_lookup_response_proof_bytes: 8 + 16 + 2 + 3*16 = 74 bytes, count at [24..26).
  auto b = lookup::proof_bytes(12345, addr_byte(42), {addr_byte(42), addr_byte(1), addr_byte(0)});
  ASSERT_EQ(b.size(), 74u);
  EXPECT_EQ(hex(ByteSpan(b).first(8)), "3930000000000000");
  EXPECT_EQ(b[8], 42);
  EXPECT_EQ(load_u16le(b.data() + 24), 3);
  EXPECT_EQ(b[26], 42);
  EXPECT_EQ(b[42], 1);
  // Writer form agrees and reports kNoSpace on a short buffer.
  std::vector<uint8_t> out(73);
  Writer w{MutByteSpan(out)};
  EXPECT_EQ(lookup::encode_proof_bytes(w, 12345, addr_byte(42), Coords{addr_byte(42), addr_byte(1), addr_byte(0)})
                .error()
                .code,
            WireErr::kNoSpace);
}

TEST(LookupWire, ProofCoversExactlyIdTargetAndCoords) {
  auto id = Identity::from_secret(secret_of_byte(5));
  lookup::LookupResponse m{999, id.node_addr(), lookup::kInitialPathMtu,
                           {id.node_addr(), addr_byte(3), addr_byte(1)}, {}};
  lookup::LookupResponse wrong = m;
  wrong.target = addr_byte(7);
  EXPECT_FALSE(lookup::sign_lookup_response(id, wrong));  // only the target signs
  ASSERT_TRUE(lookup::sign_lookup_response(id, m));
  const auto good = encode(m);
  const PeerIdentity peer = id.as_peer();
  ASSERT_TRUE(lookup::verify_lookup_response(peer, *lookup::decode_lookup_response(good)));

  const size_t count_at = lookup::kResponseOffCoords;
  for (size_t i = 0; i < good.size(); ++i) {
    SCOPED_TRACE(i);
    for (uint8_t mask : {uint8_t{0x01}, uint8_t{0x80}, uint8_t{0xFF}}) {
      auto bad = good;
      bad[i] ^= mask;
      auto d = lookup::decode_lookup_response(bad);
      if (i == 0) {
        EXPECT_FALSE(d.ok());  // msg_type
        continue;
      }
      if (i == count_at || i == count_at + 1) {
        // The count changes the layout: too many entries run out of bytes;
        // fewer leave trailing bytes, which are ignored (as the reference),
        // but the proof no longer covers what was decoded.
        if (d.ok()) {
          EXPECT_FALSE(lookup::verify_lookup_response(peer, *d));
        }
        continue;
      }
      ASSERT_TRUE(d.ok()) << describe(d.error());
      const bool path_mtu = i == lookup::kResponseOffPathMtu || i == lookup::kResponseOffPathMtu + 1;
      EXPECT_EQ(lookup::verify_lookup_response(peer, *d), path_mtu);
    }
  }
  // Transit hops lower path_mtu: the proof still holds.
  for (uint16_t mtu : {uint16_t{0}, uint16_t{1280}, uint16_t{1386}, uint16_t{9000}}) {
    auto hop = m;
    hop.path_mtu = mtu;
    EXPECT_TRUE(lookup::verify_lookup_response(peer, hop));
    EXPECT_TRUE(lookup::verify_lookup_response(peer, *lookup::decode_lookup_response(encode(hop))));
  }
  // A node proving someone else's target with its own key: the Schnorr check
  // passes, the explicit target == key check does not.
  auto forged = m;
  forged.target = addr_byte(7);
  forged.proof = id.sign(lookup::proof_bytes(forged.request_id, forged.target, forged.target_coords));
  EXPECT_TRUE(peer.verify(lookup::proof_bytes(forged.request_id, forged.target, forged.target_coords),
                          forged.proof));
  EXPECT_FALSE(lookup::verify_lookup_response(peer, forged));
  // Coordinate substitution (reference test_response_coord_substitution_detected).
  auto fake = m;
  fake.target_coords.insert(fake.target_coords.begin() + 1, addr_byte(0xEE));
  EXPECT_FALSE(lookup::verify_lookup_response(peer, fake));
  auto dropped = m;
  dropped.target_coords.pop_back();
  EXPECT_FALSE(lookup::verify_lookup_response(peer, dropped));
}

TEST(LookupWire, ResponseRejections) {
  const auto good = encode(golden_response());
  for (size_t n = 0; n < good.size(); ++n)
    EXPECT_EQ(lookup::decode_lookup_response(ByteSpan(good).first(n)).error().code, WireErr::kTruncated)
        << n;
  // Trailing bytes are accepted and ignored, as the reference's decoder.
  auto bad = good;
  bad.insert(bad.end(), 5, 0xEE);
  {
    auto r = lookup::decode_lookup_response(bad);
    ASSERT_TRUE(r.ok()) << describe(r.error());
    EXPECT_EQ(r->request_id, golden_response().request_id);
    EXPECT_EQ(hex(r->proof), hex(ByteSpan(good).last(64)));
  }
  bad = good;
  bad[0] = 0x30;
  EXPECT_EQ(lookup::decode_lookup_response(bad).error().code, WireErr::kBadType);
  std::vector<uint8_t> zero(good.begin(), good.begin() + 29);
  zero[27] = 0;
  zero[28] = 0;
  zero.insert(zero.end(), 64, 0x11);
  EXPECT_EQ(lookup::decode_lookup_response(zero).error().code, WireErr::kBadValue);
  bad = good;
  store_u16le(bad.data() + 27, static_cast<uint16_t>(lookup::kMaxResponseCoords + 1));
  EXPECT_EQ(lookup::decode_lookup_response(bad).error().code, WireErr::kTooLarge);

  lookup::LookupResponse m = golden_response();
  std::vector<uint8_t> out(lookup::lookup_response_wire_size(lookup::kMaxResponseCoords + 1));
  Writer w{MutByteSpan(out)};
  m.target_coords.clear();
  EXPECT_EQ(lookup::encode_lookup_response(w, m).error().code, WireErr::kBadValue);
  m.target_coords.assign(lookup::kMaxResponseCoords + 1, addr_byte(1));
  EXPECT_EQ(lookup::encode_lookup_response(w, m).error().code, WireErr::kTooLarge);
  EXPECT_EQ(w.pos(), 0u);
  m.target_coords.pop_back();
  EXPECT_TRUE(lookup::encode_lookup_response(w, m).ok());
  EXPECT_LE(w.pos(), stp::kMaxLinkMessageSize);
  EXPECT_TRUE(lookup::decode_lookup_response(w.written()).ok());
  uint8_t small[124];
  Writer w2{MutByteSpan(small)};
  EXPECT_EQ(lookup::encode_lookup_response(w2, golden_response()).error().code, WireErr::kNoSpace);
}

// ---- Properties ----

rc::Gen<NodeAddr> gen_addr() {
  return rc::gen::map(rc::gen::container<std::vector<uint8_t>>(16, rc::gen::arbitrary<uint8_t>()),
                      [](const std::vector<uint8_t>& v) {
                        NodeAddr a;
                        std::copy(v.begin(), v.end(), a.bytes.begin());
                        return a;
                      });
}
rc::Gen<Coords> gen_coords() { return rc::gen::resize(40, rc::gen::nonEmpty(rc::gen::container<Coords>(gen_addr()))); }

RC_GTEST_PROP(LookupWireProp, RequestRoundTrip, ()) {
  lookup::LookupRequest m{*rc::gen::arbitrary<uint64_t>(), *gen_addr(), *gen_addr(),
                          *rc::gen::arbitrary<uint8_t>(), *rc::gen::arbitrary<uint16_t>(), *gen_coords()};
  std::vector<uint8_t> out(lookup::lookup_request_wire_size(m));
  Writer w{MutByteSpan(out)};
  RC_ASSERT(lookup::encode_lookup_request(w, m).ok());
  RC_ASSERT(w.pos() == out.size());
  auto d = lookup::decode_lookup_request(out);
  RC_ASSERT(d.ok());
  RC_ASSERT(d->to_owned() == m);
  std::vector<uint8_t> again(out.size());
  Writer w2{MutByteSpan(again)};
  RC_ASSERT(lookup::encode_lookup_request(w2, *d).ok());
  RC_ASSERT(again == out);
}

RC_GTEST_PROP(LookupWireProp, ResponseRoundTrip, ()) {
  lookup::LookupResponse m{*rc::gen::arbitrary<uint64_t>(), *gen_addr(), *rc::gen::arbitrary<uint16_t>(),
                           *gen_coords(), {}};
  auto proof = *rc::gen::container<std::vector<uint8_t>>(64, rc::gen::arbitrary<uint8_t>());
  std::copy(proof.begin(), proof.end(), m.proof.begin());
  std::vector<uint8_t> out(lookup::lookup_response_wire_size(m));
  Writer w{MutByteSpan(out)};
  RC_ASSERT(lookup::encode_lookup_response(w, m).ok());
  RC_ASSERT(w.pos() == out.size());
  auto d = lookup::decode_lookup_response(out);
  RC_ASSERT(d.ok());
  RC_ASSERT(d->to_owned() == m);
  // Proof bytes are wire [1..25) || [27..29+16n), whatever the fields are.
  auto pb = lookup::proof_bytes(m.request_id, m.target, m.target_coords);
  // (Built with reserve + two inserts: GCC 12 -O3 raises a false
  // -Warray-bounds on inserting into a vector constructed from a range.)
  std::vector<uint8_t> expect;
  expect.reserve(out.size());
  expect.insert(expect.end(), out.begin() + 1, out.begin() + 25);
  expect.insert(expect.end(), out.begin() + 27, out.end() - 64);
  RC_ASSERT(pb == expect);
  std::vector<uint8_t> again(out.size());
  Writer w2{MutByteSpan(again)};
  RC_ASSERT(lookup::encode_lookup_response(w2, *d).ok());
  RC_ASSERT(again == out);
}

RC_GTEST_PROP(LookupWireProp, GarbageFailsOrRoundTrips, ()) {
  auto bytes =
      *rc::gen::resize(400, rc::gen::container<std::vector<uint8_t>>(rc::gen::arbitrary<uint8_t>()));
  const bool steer = *rc::gen::arbitrary<bool>();
  if (steer && bytes.size() >= 46) {
    bytes[0] = 0x30;
    const size_t n = (bytes.size() - 46) / 16;
    bytes.resize(46 + 16 * n);
    store_u16le(bytes.data() + 44, static_cast<uint16_t>(n));
  }
  auto req = lookup::decode_lookup_request(bytes);
  RC_TAG("request", req.ok());
  if (auto& d = req; d.ok()) {
    std::vector<uint8_t> out(bytes.size());
    Writer w{MutByteSpan(out)};
    // Trailing bytes are accepted and dropped (docs/interop.md): what was
    // read re-encodes to the input's prefix.
    RC_ASSERT(lookup::encode_lookup_request(w, *d).ok() && w.pos() <= bytes.size());
    RC_ASSERT(std::equal(out.begin(), out.begin() + static_cast<ptrdiff_t>(w.pos()), bytes.begin()));
  }
  if (steer && bytes.size() >= 93) {
    bytes[0] = 0x31;
    const size_t n = (bytes.size() - 93) / 16;
    bytes.resize(93 + 16 * n);
    store_u16le(bytes.data() + 27, static_cast<uint16_t>(n));
  }
  auto resp = lookup::decode_lookup_response(bytes);
  RC_TAG("response", resp.ok());
  if (auto& d = resp; d.ok()) {
    std::vector<uint8_t> out(bytes.size());
    Writer w{MutByteSpan(out)};
    RC_ASSERT(lookup::encode_lookup_response(w, *d).ok() && w.pos() <= bytes.size());
    RC_ASSERT(std::equal(out.begin(), out.begin() + static_cast<ptrdiff_t>(w.pos()), bytes.begin()));
  }
}

}  // namespace
}  // namespace fips
