// DNS message codec: golden query/reply bytes, every DnsErr kind, name
// compression rules (backwards-only pointers, header targets, loops ended by
// the name limit), size limits, and a reply->query round-trip property.
#include "ipv6/dns_message.h"

#include <set>

#include "test_util.h"

namespace fips::dns {
namespace {

using test::hex;
using test::unhex;

std::vector<uint8_t> query_bytes(std::string_view name, uint16_t qtype, uint16_t flags = 0x0100,
                                 uint16_t id = 0x1234) {
  std::vector<uint8_t> out(kMaxQuerySize);
  auto n = encode_query(id, flags, name, qtype, kClassIN, out);
  EXPECT_TRUE(n.ok());
  out.resize(n.ok() ? *n : 0);
  return out;
}

DnsErr parse_err(const std::vector<uint8_t>& m) {
  auto r = parse_query(m);
  EXPECT_FALSE(r.ok()) << hex(m);
  return r.ok() ? DnsErr::kNoSpace : r.error();
}

std::string qname_text(const Query& q) {
  std::array<char, kMaxNameText> t{};
  return std::string(t.data(), q.question.qname.text(t));
}

TEST(DnsMessage, EncodeQueryGolden) {
  EXPECT_EQ(hex(query_bytes("a.fips", kTypeAAAA)),
            "123401000001000000000000"
            "0161046669707300"
            "001c0001");
  // Trailing dot ignored; root name.
  EXPECT_EQ(hex(query_bytes("a.fips.", kTypeAAAA)), hex(query_bytes("a.fips", kTypeAAAA)));
  EXPECT_EQ(hex(query_bytes("", kTypeA, 0, 1)), "000100000001000000000000" "00" "00010001");
  std::vector<uint8_t> out(512);
  EXPECT_FALSE(encode_query(1, 0, "a..fips", 1, 1, out).ok());
  EXPECT_FALSE(encode_query(1, 0, std::string(64, 'x') + ".fips", 1, 1, out).ok());
  std::vector<uint8_t> tiny(20);
  auto r = encode_query(1, 0, "abcdefgh.fips", 1, 1, tiny);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), DnsErr::kNoSpace);
}

TEST(DnsMessage, ParsesHeaderAndFirstQuestion) {
  auto m = query_bytes("Host.Example.FIPS", kTypeMX, 0x0130, 0xbeef);  // RD + AD + CD
  auto q = parse_query(m);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->id, 0xbeef);
  EXPECT_EQ(q->flags, 0x0130);
  EXPECT_EQ(q->qdcount, 1);
  EXPECT_EQ(q->question.qtype, kTypeMX);
  EXPECT_EQ(q->question.qclass, kClassIN);
  EXPECT_EQ(q->question.qname.labels, 3);
  EXPECT_EQ(qname_text(*q), "Host.Example.FIPS");  // case preserved
  EXPECT_EQ(q->opt_records, 0);
}

TEST(DnsMessage, AnyOpcodeAndQtypeAccepted) {
  auto m = query_bytes("a.fips", 999, static_cast<uint16_t>(5u << 11));  // UPDATE, TYPE999
  auto q = parse_query(m);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->opcode(), 5);
  EXPECT_EQ(q->question.qtype, 999);
}

TEST(DnsMessage, ShortHeader) {
  for (size_t n = 0; n < kHeaderSize; ++n) {
    std::vector<uint8_t> m(n, 0);
    EXPECT_EQ(parse_err(m), DnsErr::kShortHeader) << n;
  }
}

TEST(DnsMessage, HeaderFlagRules) {
  auto m = query_bytes("a.fips", kTypeAAAA, 0x0100 | kFlagZ);
  EXPECT_EQ(parse_err(m), DnsErr::kReservedZ);
  m = query_bytes("a.fips", kTypeAAAA, 0x0100 | kFlagQR);
  EXPECT_EQ(parse_err(m), DnsErr::kNotQuery);
  m = query_bytes("a.fips", kTypeAAAA);
  m[5] = 0;  // QDCOUNT 0
  EXPECT_EQ(parse_err(m), DnsErr::kNoQuestion);
  // TC, AA, RA set in a query: accepted.
  m = query_bytes("a.fips", kTypeAAAA, kFlagTC | kFlagAA | kFlagRA);
  EXPECT_TRUE(parse_query(m).ok());
}

TEST(DnsMessage, TruncationAtEveryByte) {
  auto m = query_bytes("abc.fips", kTypeAAAA);
  for (size_t n = kHeaderSize; n < m.size(); ++n) {
    std::vector<uint8_t> cut(m.begin(), m.begin() + static_cast<long>(n));
    auto e = parse_err(cut);
    const size_t name_end = kHeaderSize + 1 + 3 + 1 + 4 + 1;
    EXPECT_EQ(e, n < name_end ? DnsErr::kTruncatedName : DnsErr::kTruncatedQuestion) << n;
  }
  EXPECT_TRUE(parse_query(m).ok());
}

TEST(DnsMessage, BadLabelLengths) {
  for (uint8_t len : {uint8_t{0x40}, uint8_t{0x41}, uint8_t{0x80}, uint8_t{0xBF}}) {
    auto m = unhex("123400000001000000000000");
    m.push_back(len);
    m.resize(m.size() + 200, 'a');
    EXPECT_EQ(parse_err(m), DnsErr::kBadLabelLength) << int{len};
  }
  // 63 is the largest label.
  auto ok = query_bytes(std::string(63, 'x') + ".fips", kTypeAAAA);
  EXPECT_TRUE(parse_query(ok).ok());
}

TEST(DnsMessage, NameLengthLimit) {
  // Labels summing (1 + len) to 254: wire length 255, the maximum.
  std::string name = std::string(63, 'a') + "." + std::string(63, 'b') + "." +
                     std::string(63, 'c') + "." + std::string(61, 'd');
  auto m = query_bytes(name, kTypeA);
  auto q = parse_query(m);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->question.qname.wire_len, 255);
  EXPECT_EQ(qname_text(*q).size(), kMaxNameText);
  // One more byte: 256. Built by hand (encode_query refuses it too).
  auto big = unhex("123400000001000000000000");
  for (int l : {63, 63, 63, 62}) {
    big.push_back(static_cast<uint8_t>(l));
    big.insert(big.end(), static_cast<size_t>(l), 'z');
  }
  big.push_back(0);
  big.insert(big.end(), {0, 1, 0, 1});
  EXPECT_EQ(parse_err(big), DnsErr::kNameTooLong);
}

TEST(DnsMessage, CompressionPointers) {
  // Self pointer at the question: C0 0C.
  auto self = unhex("123400000001000000000000c00c00010001");
  EXPECT_EQ(parse_err(self), DnsErr::kBadPointer);
  // Forward pointer.
  auto fwd = unhex("123400000001000000000000c00e0161000001");
  EXPECT_EQ(parse_err(fwd), DnsErr::kBadPointer);
  // Pointer into the header is legal (reference: same): id 01 61, flags 00 00
  // reads as the name "a".
  auto hdr = unhex("016100000001000000000000c000001c0001");
  auto q = parse_query(hdr);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(qname_text(*q), "a");
  EXPECT_EQ(hex(q->question.qname.bytes()), "016100");
  EXPECT_EQ(q->question.qtype, kTypeAAAA);
  // Label then a pointer back to it: a loop through a label, ended by the
  // 255-byte limit rather than spinning.
  auto loop = unhex("12340000000100000000000001" "61" "c00c00010001");
  EXPECT_EQ(parse_err(loop), DnsErr::kNameTooLong);
  // Pointer with its second byte missing.
  auto half = unhex("123400000001000000000000c0");
  EXPECT_EQ(parse_err(half), DnsErr::kTruncatedName);
  // Second question compressed against the first: fine, first one reported.
  auto two = unhex("123401000002000000000000" "0161046669707300001c0001" "0162c00e00010001");
  auto q2 = parse_query(two);
  ASSERT_TRUE(q2.ok());
  EXPECT_EQ(q2->qdcount, 2);
  EXPECT_EQ(qname_text(*q2), "a.fips");
}

TEST(DnsMessage, SizeLimit) {
  auto m = query_bytes("a.fips", kTypeAAAA);
  m.resize(kMaxQuerySize, 0xEE);  // trailing bytes after the sections are ignored
  EXPECT_TRUE(parse_query(m).ok());
  m.push_back(0);
  EXPECT_EQ(parse_err(m), DnsErr::kTooLong);
}

TEST(DnsMessage, RecordsAreWalked) {
  auto base = query_bytes("a.fips", kTypeAAAA);
  // EDNS OPT (udp 1232, DO=0) with one COOKIE option of 8 bytes.
  auto opt = unhex("0000290" "4d0" "00000000" "000c" "000a0008" "0102030405060708");
  auto m = base;
  ASSERT_GE(m.size(), kHeaderSize);  // also tells GCC -O3 the copy is non-null
  m[11] = 1;
  m.insert(m.end(), opt.begin(), opt.end());
  auto q = parse_query(m);
  ASSERT_TRUE(q.ok()) << hex(m);
  EXPECT_EQ(q->opt_records, 1);
  // The option claims 9 bytes: not a whole TLV sequence.
  auto bad = m;
  bad[bad.size() - 9] = 9;
  EXPECT_EQ(parse_err(bad), DnsErr::kBadOpt);
  // RDLENGTH runs past the end.
  auto past = m;
  past[past.size() - 13] = 0x0d;
  EXPECT_EQ(parse_err(past), DnsErr::kTruncatedRecord);
  // ARCOUNT 2 but only one record.
  auto missing = m;
  missing[11] = 2;
  EXPECT_EQ(parse_err(missing), DnsErr::kTruncatedName);
  // An answer record with a compressed owner and 4 bytes of A RDATA.
  auto an = base;
  an[7] = 1;
  auto rr = unhex("c00c000100010000003c000401020304");
  an.insert(an.end(), rr.begin(), rr.end());
  EXPECT_TRUE(parse_query(an).ok());
  // Fixed part cut short.
  an.resize(an.size() - 8);
  EXPECT_EQ(parse_err(an), DnsErr::kTruncatedRecord);
}

TEST(DnsMessage, ErrNamesAreDistinct) {
  std::set<std::string_view> names;
  for (int i = 1; i <= static_cast<int>(DnsErr::kBadName); ++i)
    names.insert(dns_err_name(static_cast<DnsErr>(i)));
  EXPECT_EQ(names.size(), static_cast<size_t>(DnsErr::kBadName));
  EXPECT_EQ(names.count("unknown"), 0u);
}

TEST(DnsMessage, EncodeReplyGolden) {
  auto m = query_bytes("a.fips", kTypeAAAA, 0x0100 | (2u << 11));  // RD, opcode 2
  auto q = parse_query(m);
  ASSERT_TRUE(q.ok());
  std::array<uint8_t, kMaxReplySize> out{};
  auto n = encode_reply(*q, kRcodeNxDomain, nullptr, out);
  ASSERT_TRUE(n.ok());
  // QR|opcode 2|AA, RD not copied, rcode 3.
  EXPECT_EQ(hex(std::span<const uint8_t>(out.data(), *n)),
            "12349403000100000000000001610466697073000" "01c0001");
  AaaaAnswer a;
  a.addr = test::unhex_array<16>("fd000102030405060708090a0b0c0d0e");
  a.ttl = 0x01020304;
  n = encode_reply(*q, kRcodeNoError, &a, out);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(hex(std::span<const uint8_t>(out.data(), *n)),
            "123494000001000100000000" "0161046669707300001c0001"
            "c00c001c0001010203040010fd000102030405060708090a0b0c0d0e");
  std::array<uint8_t, 40> small{};
  auto s = encode_reply(*q, kRcodeNoError, &a, small);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error(), DnsErr::kNoSpace);
}

TEST(DnsMessage, ReplyEchoesCompressedQuestionDecompressed) {
  auto hdr = unhex("016100000001000000000000c000001c0001");
  auto q = parse_query(hdr);
  ASSERT_TRUE(q.ok());
  std::array<uint8_t, kMaxReplySize> out{};
  auto n = encode_reply(*q, kRcodeNxDomain, nullptr, out);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(hex(std::span<const uint8_t>(out.data(), *n)), "016184030001000000000000016100001c0001");
}

// Any message that parses yields a reply that, with QR cleared, parses back
// to the same id, opcode and question.
RC_GTEST_PROP(DnsMessageProp, ReplyRoundTrip, (std::vector<uint8_t> tail, uint16_t id)) {
  std::vector<uint8_t> m = {static_cast<uint8_t>(id >> 8), static_cast<uint8_t>(id), 0x01, 0x00,
                            0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  m.insert(m.end(), tail.begin(), tail.end());
  if (m.size() > kMaxQuerySize) m.resize(kMaxQuerySize);
  auto q = parse_query(m);
  if (!q.ok()) return;
  std::array<uint8_t, kMaxReplySize> out{};
  auto n = encode_reply(*q, kRcodeNoError, nullptr, out);
  RC_ASSERT(n.ok());
  std::vector<uint8_t> back(out.begin(), out.begin() + static_cast<long>(*n));
  back[2] &= 0x7F;
  auto q2 = parse_query(back);
  RC_ASSERT(q2.ok());
  RC_ASSERT(q2->id == id);
  RC_ASSERT(q2->question.qtype == q->question.qtype);
  RC_ASSERT(q2->question.qclass == q->question.qclass);
  RC_ASSERT(hex(q2->question.qname.bytes()) == hex(q->question.qname.bytes()));
}

// Arbitrary bytes never crash the parser (ASan/UBSan builds check the reads).
RC_GTEST_PROP(DnsMessageProp, ArbitraryBytesAreSafe, (std::vector<uint8_t> bytes)) {
  auto q = parse_query(bytes);
  if (q.ok()) {
    RC_ASSERT(bytes.size() <= kMaxQuerySize);
    RC_ASSERT(q->question.qname.wire_len <= kMaxNameWire);
  }
}

}  // namespace
}  // namespace fips::dns
