// Bloom filter (hash scheme, set operations, estimators) and the
// FilterAnnounce codec: vectors from the TypeScript oracle, hand-built golden
// bytes, rapidcheck properties, and rejection of malformed input.

#include <cmath>
#include <cstring>

#include "crypto/sha256.h"
#include "proto/bloom/filter.h"
#include "proto/bloom/wire.h"
#include "test_util.h"

namespace fips {
namespace {

using bloom::Filter;
using test::hex;
using test::unhex;

NodeAddr addr_of(const std::string& h) {
  return NodeAddr{test::unhex_array<16>(h)};
}

// Deterministic pseudo-random NodeAddr: SHA-256(tag || i)[0..16].
NodeAddr pseudo_addr(uint32_t i, uint8_t tag = 0) {
  uint8_t in[5] = {tag};
  store_u32le(in + 1, i);
  Digest32 d = sha256(in);
  NodeAddr a;
  std::memcpy(a.bytes.data(), d.data(), 16);
  return a;
}

rc::Gen<NodeAddr> gen_addr() {
  return rc::gen::map(rc::gen::container<std::vector<uint8_t>>(16, rc::gen::arbitrary<uint8_t>()),
                      [](const std::vector<uint8_t>& v) {
                        NodeAddr a;
                        std::memcpy(a.bytes.data(), v.data(), 16);
                        return a;
                      });
}

Filter must(bloom::BloomResult<Filter> r) {
  if (!r.ok()) throw std::runtime_error(bloom::bloom_error_name(r.error()));
  return std::move(r).value();
}

std::vector<uint8_t> encode_fa(const bloom::FilterAnnounce& fa) {
  std::vector<uint8_t> out(bloom::filter_announce_wire_size(fa));
  Writer w{MutByteSpan(out)};
  auto st = bloom::encode_filter_announce(w, fa);
  if (!st.ok()) throw std::runtime_error(describe(st.error()));
  return out;
}

// ---------------------------------------------------------------- filter

TEST(BloomFilter, OracleVectors) {
  auto vs = test::load_vectors("ts-oracle-vectors.json")["bloom"];
  ASSERT_EQ(vs.size(), 2u);
  for (const auto& v : vs) {
    Filter f = must(Filter::with_params(v["numBits"].get<size_t>(), v["hashCount"].get<uint8_t>()));
    Filter g = f;
    for (const auto& k : v["keysHex"]) {
      auto key = unhex(k.get<std::string>());
      ASSERT_EQ(key.size(), 16u);  // the oracle hashes raw 16-byte node addresses
      f.insert(addr_of(k.get<std::string>()));
      g.insert_bytes(key);
    }
    EXPECT_EQ(hex(f.bytes()), v["filterHex"]);
    EXPECT_EQ(f, g);  // insert(NodeAddr) hashes exactly the 16 address bytes
    for (const auto& k : v["keysHex"]) EXPECT_TRUE(f.contains(addr_of(k.get<std::string>())));
    EXPECT_EQ(f.count_ones(), v["keysHex"].empty() ? 0u : 8u);
  }
}

TEST(BloomFilter, BitIndicesFollowDoubleHashingFormula) {
  // Independent recomputation of bit_i = (h1 + i*h2) mod m, LSB-first bytes.
  const NodeAddr a = pseudo_addr(7);
  Digest32 d = sha256(a.bytes);
  const uint64_t h1 = load_u64le(d.data()), h2 = load_u64le(d.data() + 8);
  for (size_t bits : {size_t{256}, size_t{4096}, size_t{8192}, size_t{1000}}) {
    Filter f = must(Filter::with_params(bits, 5));
    f.insert(a);
    std::vector<uint8_t> expect(bits / 8, 0);
    for (uint64_t i = 0; i < 5; ++i) {
      const uint64_t idx = (h1 + i * h2) % bits;
      expect[idx / 8] |= static_cast<uint8_t>(1u << (idx % 8));
    }
    EXPECT_EQ(hex(f.bytes()), hex(expect)) << bits;
  }
}

TEST(BloomFilter, Construction) {
  Filter d;
  EXPECT_EQ(d.num_bits(), 8192u);
  EXPECT_EQ(d.num_bytes(), 1024u);
  EXPECT_EQ(d.hash_count(), 5);
  EXPECT_TRUE(d.is_empty());
  EXPECT_EQ(Filter::with_params(1001, 5).error(), bloom::BloomError::kSizeNotByteAligned);
  EXPECT_EQ(Filter::with_params(0, 5).error(), bloom::BloomError::kSizeNotByteAligned);
  EXPECT_EQ(Filter::with_params(1024, 0).error(), bloom::BloomError::kZeroHashCount);
  EXPECT_EQ(Filter::with_params(4096 * 8 + 8, 5).error(), bloom::BloomError::kTooLarge);
  EXPECT_TRUE(Filter::with_params(4096 * 8, 5).ok());
  for (uint8_t c = 0; c <= bloom::kMaxSizeClass; ++c)
    EXPECT_EQ(must(Filter::for_size_class(c)).num_bytes(), size_t{512} << c);
  EXPECT_EQ(Filter::for_size_class(4).error(), bloom::BloomError::kTooLarge);
  EXPECT_EQ(Filter::from_bytes({}, 5).error(), bloom::BloomError::kSizeNotByteAligned);
  std::vector<uint8_t> raw(128, 0);
  EXPECT_EQ(Filter::from_bytes(raw, 0).error(), bloom::BloomError::kZeroHashCount);
  raw[3] = 0x81;
  Filter r = must(Filter::from_bytes(raw, 3));
  EXPECT_EQ(r.num_bits(), 1024u);
  EXPECT_EQ(r.count_ones(), 2u);
  EXPECT_TRUE(r.test_bit(24) && r.test_bit(31) && !r.test_bit(25));
}

TEST(BloomFilter, MergeClearEquality) {
  Filter a, b;
  EXPECT_EQ(a, b);
  a.insert(pseudo_addr(1));
  EXPECT_NE(a, b);
  b.insert(pseudo_addr(2));
  Filter u = a;
  ASSERT_TRUE(u.merge(b).ok());
  EXPECT_TRUE(u.contains(pseudo_addr(1)) && u.contains(pseudo_addr(2)));
  EXPECT_FALSE(a.contains(pseudo_addr(2)));  // merge is in place on u only
  for (size_t i = 0; i < u.num_bytes(); ++i) EXPECT_EQ(u.bytes()[i], a.bytes()[i] | b.bytes()[i]);
  // Same bits, other hash count: not equal (reference PartialEq compares k).
  Filter k7 = must(Filter::from_bytes(a.bytes(), 7));
  EXPECT_NE(k7, a);
  // Merge only checks sizes, as the reference does.
  EXPECT_TRUE(k7.merge(b).ok());
  EXPECT_EQ(k7.hash_count(), 7);
  Filter small = must(Filter::with_params(1024, 5));
  EXPECT_EQ(u.merge(small).error(), bloom::BloomError::kSizeMismatch);
  EXPECT_EQ(u.assign_bits(small.bytes()).error(), bloom::BloomError::kSizeMismatch);
  ASSERT_TRUE(u.assign_bits(a.bytes()).ok());
  EXPECT_EQ(u, a);
  u.clear();
  EXPECT_TRUE(u.is_empty());
  EXPECT_EQ(u.count_ones(), 0u);
  EXPECT_FALSE(u.contains(pseudo_addr(1)));
}

TEST(BloomFilter, PowiMatchesReferenceBits) {
  // Bit patterns pinned by the reference's proto::math tests.
  auto bits = [](double x) {
    uint64_t u;
    std::memcpy(&u, &x, 8);
    return u;
  };
  EXPECT_EQ(bits(bloom::powi(0.5469, 4)), 4591110734581567521ULL);
  EXPECT_EQ(bits(bloom::powi(0.9999, 64)), 4607124953935219716ULL);
  EXPECT_EQ(bits(bloom::powi(3.7, 5)), 4649310774781981293ULL);
  EXPECT_EQ(bits(bloom::powi(0.1, 3)), 4562254508917369341ULL);
  EXPECT_EQ(bits(bloom::powi(0.5469, 14)), 4552032634403898040ULL);
}

TEST(BloomFilter, FillRatioAndEstimate100) {
  // n = 100 addresses into m = 8192, k = 5: t = kn/m = 0.061. The expected
  // set-bit count is m(1 - e^-t) ~ 485.3 and the estimator's standard error
  // is ~sqrt(m(e^t - t - 1))/k ~ 0.8 entries (Swamidass & Baldi 2007), so
  // +-5 is > 6 sigma: it fails only if the estimator formula is wrong.
  Filter f;
  for (uint32_t i = 0; i < 100; ++i) f.insert(pseudo_addr(i));
  for (uint32_t i = 0; i < 100; ++i) EXPECT_TRUE(f.contains(pseudo_addr(i)));
  const size_t x = f.count_ones();
  EXPECT_LE(x, 500u);
  EXPECT_GT(x, 460u);
  EXPECT_EQ(f.fill_ratio(), static_cast<double>(x) / 8192.0);
  EXPECT_NEAR(f.fpr(), std::pow(f.fill_ratio(), 5), 1e-15);
  auto est = f.estimated_count();
  ASSERT_TRUE(est.has_value());
  EXPECT_NEAR(*est, -(8192.0 / 5.0) * std::log(1.0 - static_cast<double>(x) / 8192.0), 1e-9);
  EXPECT_NEAR(*est, 100.0, 5.0);
  // Far below any sensible cap (fpr ~ 7e-7).
  EXPECT_TRUE(f.estimated_count(0.20).has_value());
  EXPECT_FALSE(f.estimated_count(0.0).has_value());
}

TEST(BloomFilter, EstimateEdgeCases) {
  Filter empty;
  ASSERT_TRUE(empty.estimated_count().has_value());
  EXPECT_EQ(*empty.estimated_count(), 0.0);
  EXPECT_EQ(empty.fill_ratio(), 0.0);
  // Saturated: nullopt whatever the cap (the reference returns None, not inf).
  std::vector<uint8_t> full(8, 0xFF);
  Filter sat = must(Filter::from_bytes(full, 3));
  EXPECT_EQ(sat.fill_ratio(), 1.0);
  EXPECT_FALSE(sat.estimated_count().has_value());
  EXPECT_FALSE(sat.estimated_count(1.0).has_value());
  // One bit short of saturation is still finite.
  full[0] = 0x7F;
  auto near = must(Filter::from_bytes(full, 3)).estimated_count();
  ASSERT_TRUE(near.has_value());
  EXPECT_NEAR(*near, -(64.0 / 3.0) * std::log(1.0 / 64.0), 1e-9);
  // The reference's antipoison cap boundary at fill 0.5469 / 0.5508, k = 5.
  std::vector<uint8_t> below(1024, 0), above(1024, 0);
  std::fill(below.begin(), below.begin() + 560, 0xFF);
  std::fill(above.begin(), above.begin() + 564, 0xFF);
  Filter fb = must(Filter::from_bytes(below, 5)), fa = must(Filter::from_bytes(above, 5));
  EXPECT_TRUE(fb.estimated_count(0.05).has_value());
  EXPECT_FALSE(fa.estimated_count(0.05).has_value());
  EXPECT_TRUE(fa.estimated_count(0.10).has_value());
}

RC_GTEST_PROP(BloomFilterProp, NoFalseNegatives, ()) {
  const auto addrs = *rc::gen::container<std::vector<NodeAddr>>(gen_addr());
  const size_t bytes = *rc::gen::inRange<size_t>(1, 1025);
  const auto k = *rc::gen::inRange<uint8_t>(1, 17);
  Filter f = must(Filter::with_params(bytes * 8, k));
  for (const auto& a : addrs) f.insert(a);
  for (const auto& a : addrs) RC_ASSERT(f.contains(a));
  RC_ASSERT(f.count_ones() <= addrs.size() * k);
  RC_ASSERT(addrs.empty() == f.is_empty());
}

RC_GTEST_PROP(BloomFilterProp, MergeIsUnion, ()) {
  const auto xs = *rc::gen::container<std::vector<NodeAddr>>(gen_addr());
  const auto ys = *rc::gen::container<std::vector<NodeAddr>>(gen_addr());
  Filter a, b, both;
  for (const auto& x : xs) a.insert(x), both.insert(x);
  for (const auto& y : ys) b.insert(y), both.insert(y);
  Filter ab = a, ba = b;
  RC_ASSERT(ab.merge(b).ok());
  RC_ASSERT(ba.merge(a).ok());
  RC_ASSERT(ab == ba);
  RC_ASSERT(ab == both);  // OR of filters == filter of the union
  for (const auto& x : xs) RC_ASSERT(ab.contains(x));
  for (const auto& y : ys) RC_ASSERT(ab.contains(y));
  RC_ASSERT(ab.count_ones() >= std::max(a.count_ones(), b.count_ones()));
}

RC_GTEST_PROP(BloomFilterProp, EstimateTracksCardinality, ()) {
  // Distinct random addresses, n <= 400 into the v1 filter. Standard error
  // sigma(n) ~ sqrt(m(e^t - t - 1))/k with t = kn/m is 3.3 at n = 400 and
  // 0.8 at n = 100; the tolerance 3 + n/10 is over 10 sigma everywhere.
  const size_t n = *rc::gen::inRange<size_t>(0, 401);
  const uint8_t tag = *rc::gen::arbitrary<uint8_t>();
  Filter f;
  for (uint32_t i = 0; i < n; ++i) f.insert(pseudo_addr(i, tag));
  auto est = f.estimated_count();
  RC_ASSERT(est.has_value());
  RC_ASSERT(std::fabs(*est - static_cast<double>(n)) <= 3.0 + static_cast<double>(n) / 10.0);
}

// ---------------------------------------------------------------- FilterAnnounce

TEST(BloomWire, FilterAnnounceOracleVector) {
  auto v = test::load_vectors("ts-oracle-vectors.json")["filterAnnounce"];
  const auto enc = unhex(v["encodedHex"]);
  ASSERT_EQ(enc.size(), bloom::kFilterAnnounceV1Size);
  auto d = bloom::decode_filter_announce(enc);
  ASSERT_TRUE(d.ok()) << describe(d.error());
  // The oracle writes the u64 sequence as a decimal string.
  EXPECT_EQ(d->sequence, std::stoull(v["sequence"].get<std::string>()));
  EXPECT_EQ(d->sequence, 42u);
  EXPECT_EQ(d->hash_count, v["hashCount"].get<uint8_t>());
  EXPECT_EQ(d->size_class, 1);
  EXPECT_EQ(d->filter_bits.data(), enc.data() + 11);  // a view, not a copy
  Filter got = must(bloom::to_filter(*d));
  for (const auto& a : v["insertedNodeAddrsHex"]) EXPECT_TRUE(got.contains(addr_of(a)));
  // Rebuild from scratch and encode: byte-identical.
  Filter f;
  for (const auto& a : v["insertedNodeAddrsHex"]) f.insert(addr_of(a));
  EXPECT_EQ(f, got);
  EXPECT_EQ(hex(encode_fa(bloom::make_filter_announce(f, 42))), v["encodedHex"]);
}

TEST(BloomWire, FilterAnnounceGoldenHeader) {
  // Hand-computed from the wire-formats.md table.
  Filter f;
  auto out = encode_fa(bloom::make_filter_announce(f, 0x0102030405060708ULL));
  ASSERT_EQ(out.size(), 1035u);
  EXPECT_EQ(hex(ByteSpan(out).first(11)),
            "20080706050403020105"
            "01");
  EXPECT_TRUE(std::all_of(out.begin() + 11, out.end(), [](uint8_t b) { return b == 0; }));
}

TEST(BloomWire, FilterAnnounceRejections) {
  Filter f;
  f.insert(pseudo_addr(1));
  const auto good = encode_fa(bloom::make_filter_announce(f, 9));
  ASSERT_TRUE(bloom::decode_filter_announce(good).ok());
  for (size_t n = 0; n < good.size(); ++n)
    EXPECT_EQ(bloom::decode_filter_announce(ByteSpan(good).first(n)).error().code,
              WireErr::kTruncated)
        << n;
  auto bad = good;
  bad.push_back(0);
  EXPECT_EQ(bloom::decode_filter_announce(bad).error().code, WireErr::kTrailing);
  bad = good;
  bad[0] = 0x21;
  EXPECT_EQ(bloom::decode_filter_announce(bad).error().code, WireErr::kBadType);
  bad = good;
  bad[9] = 0;  // hash_count 0
  auto e = bloom::decode_filter_announce(bad).error();
  EXPECT_EQ(e.code, WireErr::kBadValue);
  EXPECT_STREQ(e.field, "hash_count");
  for (uint8_t c : {uint8_t{4}, uint8_t{5}, uint8_t{0xFF}}) {
    bad = good;
    bad[10] = c;
    e = bloom::decode_filter_announce(bad).error();
    EXPECT_EQ(e.code, WireErr::kBadValue) << int(c);
    EXPECT_STREQ(e.field, "size_class");
  }
  // Reserved size classes, each with a correctly sized filter: v1 MUST reject.
  for (uint8_t c : {uint8_t{0}, uint8_t{2}, uint8_t{3}}) {
    Filter g = must(Filter::for_size_class(c));
    auto msg = encode_fa(bloom::make_filter_announce(g, 1, c));
    ASSERT_EQ(msg.size(), 11 + (size_t{512} << c));
    EXPECT_EQ(bloom::decode_filter_announce(msg).error().code, WireErr::kBadVersion) << int(c);
  }
}

TEST(BloomWire, FilterAnnounceAcceptsNonDefaultHashCount) {
  // The reference decoder and handler accept any k >= 1 (it never checks 5).
  Filter f = must(Filter::with_params(8192, 7));
  f.insert(pseudo_addr(3));
  auto msg = encode_fa(bloom::make_filter_announce(f, 1));
  auto d = bloom::decode_filter_announce(msg);
  ASSERT_TRUE(d.ok()) << describe(d.error());
  EXPECT_EQ(d->hash_count, 7);
  EXPECT_FALSE(d->is_v1_hash_count());
  EXPECT_EQ(must(bloom::to_filter(*d)), f);
}

TEST(BloomWire, FilterAnnounceEncoderRejections) {
  Filter f;
  auto fa = bloom::make_filter_announce(f, 1);
  std::vector<uint8_t> out(2000);
  Writer w{MutByteSpan(out)};
  fa.size_class = 2;  // 1024 bytes do not make a class-2 filter
  EXPECT_EQ(bloom::encode_filter_announce(w, fa).error().code, WireErr::kBadLength);
  fa.size_class = 4;
  EXPECT_EQ(bloom::encode_filter_announce(w, fa).error().code, WireErr::kBadValue);
  fa.size_class = 1;
  fa.hash_count = 0;
  EXPECT_EQ(bloom::encode_filter_announce(w, fa).error().code, WireErr::kBadValue);
  EXPECT_EQ(w.pos(), 0u);  // nothing written on a refused encode
  fa.hash_count = 5;
  std::vector<uint8_t> small(1034);
  Writer ws{MutByteSpan(small)};
  EXPECT_EQ(bloom::encode_filter_announce(ws, fa).error().code, WireErr::kNoSpace);
}

RC_GTEST_PROP(BloomWireProp, FilterAnnounceRoundTrip, (uint64_t seq)) {
  const auto k = *rc::gen::inRange<int>(1, 256);
  const auto bits = *rc::gen::container<std::vector<uint8_t>>(1024, rc::gen::arbitrary<uint8_t>());
  bloom::FilterAnnounce fa{seq, static_cast<uint8_t>(k), 1, ByteSpan(bits)};
  const auto out = encode_fa(fa);
  RC_ASSERT(out.size() == bloom::filter_announce_wire_size(fa));
  auto d = bloom::decode_filter_announce(out);
  RC_ASSERT(d.ok());
  RC_ASSERT(*d == fa);
}

}  // namespace
}  // namespace fips
