// DNS responder core (sans I/O): golden reply bytes for AAAA by npub, by
// alias, upper- and mixed-case npubs, A/MX, non-.fips and malformed
// queries; the identity side effect and counters. The npub/address pairs
// were computed independently (Python: bech32 + SHA-256), the reply layout
// follows simple-dns into_reply + AA + compressed answer (C0 0C).
#include "ipv6/dns.h"

#include <algorithm>
#include <cctype>

#include "test_util.h"

namespace fips::dns {
namespace {

using test::hex;
using test::unhex;

// NIP-19 example key 7e7e9c42...df4e; fd || SHA-256(x)[0..15].
constexpr const char* kNpub = "npub10elfcs4fr0l0r8af98jlmgdh9c8tcxjvz9qkw038js35mp4dma8qzvjptg";
constexpr const char* kAddr = "fd74534fb5959a5d89cd740363ba2737";
// Key 1b84c556...078f.
constexpr const char* kNpubB = "npub1rwzv24nmzfjypx2a8m264ws9vht3uxp5vpypnluuzl67n4waq78suk0wul";
constexpr const char* kAddrB = "fdec3925bdbd24aa1cfd002f9ccf52f2";

std::vector<uint8_t> query(std::string_view name, uint16_t qtype, uint16_t flags = 0x0100) {
  std::vector<uint8_t> out(kMaxQuerySize);
  auto n = encode_query(0x1234, flags, name, qtype, kClassIN, out);
  EXPECT_TRUE(n.ok());
  out.resize(n.ok() ? *n : 0);
  return out;
}

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}

// Every other letter upper-cased (a 0x20-randomising resolver's output).
std::string mixed(std::string s) {
  for (size_t i = 0; i < s.size(); i += 2)
    s[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[i])));
  return s;
}

// The question section as the reply must echo it (the query's bytes from 12).
std::string question_hex(const std::vector<uint8_t>& q) {
  return hex(std::span<const uint8_t>(q).subspan(kHeaderSize));
}

struct Fixture {
  std::vector<std::pair<std::string, uint64_t>> resolved;
  Responder r{ResponderOptions{}, [this](const PeerIdentity& id, uint64_t now) {
                resolved.emplace_back(id.npub(), now);
              }};
  std::string answer_hex(const std::vector<uint8_t>& q, uint64_t now = 7) {
    auto rep = r.answer(q, now);
    return rep ? hex(rep->bytes()) : "<none>";
  }
};

TEST(DnsResponder, GoldenKeyIsTheIndependentlyComputedOne) {
  auto id = PeerIdentity::from_npub(kNpub);
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(hex(id->xonly()), "7e7e9c42a91bfef19fa929e5fda1b72e0ebc1a4c1141673e2794234d86addf4e");
  EXPECT_EQ(hex(id->address().bytes), kAddr);
}

TEST(DnsResponder, AaaaForNpubGolden) {
  Fixture f;
  auto q = query(std::string(kNpub) + ".fips", kTypeAAAA);
  EXPECT_EQ(f.answer_hex(q, 42), "123484000001000100000000" + question_hex(q) +
                                     "c00c001c00010000012c0010" + kAddr);
  ASSERT_EQ(f.resolved.size(), 1u);
  EXPECT_EQ(f.resolved[0].first, kNpub);
  EXPECT_EQ(f.resolved[0].second, 42u);
  EXPECT_EQ(f.r.counters().aaaa_answers, 1u);
  EXPECT_EQ(f.r.counters().answered, 1u);
}

TEST(DnsResponder, TtlFromOptions) {
  ResponderOptions o;
  o.ttl = 86400;  // 0x00015180
  Responder r(o);
  auto q = query(std::string(kNpub) + ".fips", kTypeAAAA);
  auto rep = r.answer(q, 0);
  ASSERT_TRUE(rep);
  EXPECT_EQ(hex(rep->bytes()), "123484000001000100000000" + question_hex(q) +
                                   "c00c001c0001000151800010" + kAddr);
}

TEST(DnsResponder, AaaaForAliasGolden) {
  HostMap hosts;
  ASSERT_TRUE(hosts.insert("gateway", kNpubB).ok());
  Fixture f;
  f.r.set_hosts(&hosts);
  auto q = query("GateWay.fips", kTypeAAAA);
  EXPECT_EQ(f.answer_hex(q), "123484000001000100000000" "07" "47617465576179" "04" "66697073" "00"
                             "001c0001" "c00c001c00010000012c0010" + std::string(kAddrB));
  ASSERT_EQ(f.resolved.size(), 1u);
  EXPECT_EQ(f.resolved[0].first, kNpubB);
  // Unknown alias: NXDOMAIN, AA.
  auto u = query("other.fips", kTypeAAAA);
  EXPECT_EQ(f.answer_hex(u), "123484030001000000000000" + question_hex(u));
  EXPECT_EQ(f.resolved.size(), 1u);
}

TEST(DnsResponder, UppercaseNpubAndSuffix) {
  Fixture f;
  auto q = query(upper(kNpub) + ".FIPS", kTypeAAAA);
  // The question is echoed as asked (upper case); the address is the same.
  EXPECT_EQ(f.answer_hex(q), "123484000001000100000000" + question_hex(q) +
                                 "c00c001c00010000012c0010" + kAddr);
  EXPECT_EQ(f.resolved.size(), 1u);
}

TEST(DnsResponder, MixedCaseNpubResolvesByDefault) {
  Fixture f;
  auto q = query(mixed(kNpub) + ".fIpS", kTypeAAAA);
  EXPECT_EQ(f.answer_hex(q), "123484000001000100000000" + question_hex(q) +
                                 "c00c001c00010000012c0010" + kAddr);
  ASSERT_EQ(f.resolved.size(), 1u);
  EXPECT_EQ(f.resolved[0].first, kNpub);
}

TEST(DnsResponder, MixedCaseNpubReferenceModeIsNxdomain) {
  ResponderOptions o;
  o.mixed_case_npub = false;
  int calls = 0;
  Responder r(o, [&](const PeerIdentity&, uint64_t) { ++calls; });
  auto q = query(mixed(kNpub) + ".fips", kTypeAAAA);
  auto rep = r.answer(q, 0);
  ASSERT_TRUE(rep);
  EXPECT_EQ(hex(rep->bytes()), "123484030001000000000000" + question_hex(q));
  EXPECT_EQ(calls, 0);
  // Upper and lower case still work in reference mode.
  EXPECT_TRUE(r.resolve(upper(kNpub) + ".fips").has_value());
  EXPECT_TRUE(r.resolve(std::string(kNpub) + ".fips").has_value());
}

TEST(DnsResponder, OtherQtypesAreNoerrorEmpty) {
  Fixture f;
  for (uint16_t t : {kTypeA, kTypeMX, kTypeANY, uint16_t{65}, uint16_t{999}}) {
    auto q = query(std::string(kNpub) + ".fips", t);
    EXPECT_EQ(f.answer_hex(q), "123484000001000000000000" + question_hex(q)) << t;
  }
  EXPECT_TRUE(f.resolved.empty());
  EXPECT_EQ(f.r.counters().nodata, 5u);
}

TEST(DnsResponder, NonFipsAndUnresolvableAreNxdomain) {
  Fixture f;
  std::string bad_checksum = kNpub;
  bad_checksum.back() = bad_checksum.back() == 'g' ? 'h' : 'g';
  const std::vector<std::string> names = {
      "example.com", "fips", "localhost", std::string(kNpub) + ".fips.example",
      std::string(kNpub),                        // no suffix
      "a." + std::string(kNpub) + ".fips",       // extra label
      bad_checksum + ".fips", "npub1.fips", "x.fipsy", ""};
  for (const auto& n : names) {
    for (uint16_t t : {kTypeAAAA, kTypeA}) {
      auto q = query(n, t);
      EXPECT_EQ(f.answer_hex(q), "123484030001000000000000" + question_hex(q)) << n << " " << t;
    }
  }
  EXPECT_TRUE(f.resolved.empty());
  EXPECT_EQ(f.r.counters().nxdomain, names.size() * 2);
}

TEST(DnsResponder, OnlyFirstQuestionEvaluatedAndOptDropped) {
  Fixture f;
  // Two questions (second compressed against the first) and an OPT record.
  auto q = query(std::string(kNpub) + ".fips", kTypeAAAA, 0x0120);
  const std::vector<uint8_t> first_q(q.begin() + kHeaderSize, q.end());
  q[5] = 2;
  q[11] = 1;
  auto extra = unhex("0162c04c0001000100002904d0000000000000");
  q.insert(q.end(), extra.begin(), extra.end());
  EXPECT_EQ(f.answer_hex(q), "123484000001000100000000" + hex(first_q) +
                                 "c00c001c00010000012c0010" + kAddr);
}

TEST(DnsResponder, MalformedQueriesGetNoReplyAndAreCounted) {
  Fixture f;
  auto good = query(std::string(kNpub) + ".fips", kTypeAAAA);
  std::vector<std::pair<std::vector<uint8_t>, DnsErr>> cases;
  cases.emplace_back(std::vector<uint8_t>(good.begin(), good.begin() + 11), DnsErr::kShortHeader);
  auto z = good;
  z[3] |= 0x40;
  cases.emplace_back(z, DnsErr::kReservedZ);
  auto resp = good;
  resp[2] |= 0x80;
  cases.emplace_back(resp, DnsErr::kNotQuery);
  auto zero_q = good;
  zero_q[5] = 0;
  cases.emplace_back(zero_q, DnsErr::kNoQuestion);
  auto bad_len = good;
  bad_len[12] = 64;
  cases.emplace_back(bad_len, DnsErr::kBadLabelLength);
  cases.emplace_back(unhex("123400000001000000000000c00c00010001"), DnsErr::kBadPointer);
  cases.emplace_back(unhex("123400000001000000000000" "0161c00c00010001"), DnsErr::kNameTooLong);
  auto big = good;
  big.resize(kMaxQuerySize + 1, 0);
  cases.emplace_back(big, DnsErr::kTooLong);
  auto cut = good;
  cut.resize(cut.size() - 1);
  cases.emplace_back(cut, DnsErr::kTruncatedQuestion);

  for (const auto& [bytes, err] : cases) {
    EXPECT_EQ(f.answer_hex(bytes), "<none>") << dns_err_name(err);
    EXPECT_EQ(f.r.counters().malformed_by_kind[static_cast<size_t>(err)], 1u) << dns_err_name(err);
  }
  EXPECT_EQ(f.r.counters().malformed, cases.size());
  EXPECT_EQ(f.r.counters().answered, 0u);
  EXPECT_EQ(f.r.counters().queries, cases.size());
  EXPECT_TRUE(f.resolved.empty());
}

TEST(DnsResponder, HostsWinOverNothingButNpubStillWorks) {
  HostMap hosts;
  ASSERT_TRUE(hosts.insert("gw", kNpubB).ok());
  Responder r(ResponderOptions{});
  r.set_hosts(&hosts);
  auto a = r.resolve("gw.fips");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->npub(), kNpubB);
  auto b = r.resolve(std::string(kNpub) + ".fips.");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->npub(), kNpub);
  r.set_hosts(nullptr);
  EXPECT_FALSE(r.resolve("gw.fips"));
}

TEST(DnsResponder, FipsLabel) {
  EXPECT_EQ(fips_label("abc.fips"), "abc");
  EXPECT_EQ(fips_label("abc.fips."), "abc");
  EXPECT_EQ(fips_label("abc.FIPS"), "abc");
  EXPECT_EQ(fips_label("abc.FiPs"), "abc");
  EXPECT_EQ(fips_label("a.b.fips"), "a.b");
  EXPECT_FALSE(fips_label("fips"));
  EXPECT_FALSE(fips_label(".fips"));
  EXPECT_FALSE(fips_label("fips."));
  EXPECT_FALSE(fips_label("abc.fips.."));
  EXPECT_FALSE(fips_label("abcfips"));
  EXPECT_FALSE(fips_label("abc.fipsx"));
  EXPECT_FALSE(fips_label(""));
}

}  // namespace
}  // namespace fips::dns
