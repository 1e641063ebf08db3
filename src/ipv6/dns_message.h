// DNS message (RFC 1035 §4) codec for the .fips responder: a strict,
// allocation-free parser for incoming queries and an encoder for the one
// reply shape the responder sends. Big-endian, bounds-checked, over
// caller-owned memory; a malformed message yields a typed DnsErr and the
// caller sends nothing.
// Not here: name resolution, hosts, sockets, counters (ipv6/dns.h).
//
// What parse_query() accepts (compared with simple-dns 0.11, which the
// reference uses; docs/spec/fsp-ipv6.md §17.2):
//   * At most 512 bytes (kMaxQuerySize); the header's Z bit (0x0040) must be 0
//     (reference: same); AD/CD/TC/RD/AA bits and every opcode are accepted.
//   * QR must be 0: a response is never answered (reference answers it; two
//     responders could then bounce a spoofed datagram between each other).
//   * QDCOUNT >= 1. Every question and every counted answer/authority/
//     additional record is walked; bytes after the last counted record are
//     ignored (reference: same).
//   * Names: labels of 1..63 bytes (length bytes 0x40..0xBF are rejected),
//     at most 255 wire bytes once decompressed, compression pointers only to
//     an offset strictly before the pointer itself (so no loops; the
//     reference has the same rule, header offsets included). Label bytes are
//     not restricted.
//   * QTYPE/QCLASS: any value (the reference drops queries whose QTYPE or
//     QCLASS simple-dns does not know, e.g. TLSA, SSHFP, CLASS 9; a resolver
//     then times out instead of getting an answer).
//   * Records: owner name, 10 fixed bytes and RDLENGTH bytes of RDATA must be
//     present; an OPT record's RDATA must be a whole sequence of option TLVs
//     (reference: same). Other RDATA is not parsed by type (the reference
//     also rejects type-specific malformed RDATA, e.g. an A record of 5 bytes).
//
// What encode_reply() writes (reference: simple-dns into_reply + AA):
//   ID and OPCODE copied; flags QR=1, AA=1, everything else 0 (RD is NOT
//   copied, as in the reference); RCODE as given; the FIRST question, its
//   name decompressed (identical bytes when the query did not compress it);
//   optionally one AAAA answer whose owner is the pointer C0 0C.
//   The reference also echoes any further questions and the query's non-OPT
//   records; we echo neither (QDCOUNT=1, ANCOUNT<=1, NSCOUNT=ARCOUNT=0):
//   real stub queries hold one question plus at most an OPT record, and a
//   reply never needs the client's own records. EDNS OPT is dropped in both.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "util/result.h"

namespace fips::dns {

inline constexpr size_t kHeaderSize = 12;
inline constexpr size_t kMaxQuerySize = 512;  // classic UDP DNS limit, the reference's buffer
inline constexpr size_t kMaxReplySize = 512;
inline constexpr size_t kMaxNameWire = 255;   // RFC 1035 §2.3.4, incl. the root byte
inline constexpr size_t kMaxLabel = 63;
inline constexpr size_t kMaxNameText = 253;   // labels joined by '.', no trailing dot
inline constexpr uint16_t kQuestionOffset = 12;

inline constexpr uint16_t kTypeA = 1;
inline constexpr uint16_t kTypeMX = 15;
inline constexpr uint16_t kTypeAAAA = 28;
inline constexpr uint16_t kTypeOPT = 41;
inline constexpr uint16_t kTypeANY = 255;
inline constexpr uint16_t kClassIN = 1;

inline constexpr uint16_t kFlagQR = 0x8000;
inline constexpr uint16_t kOpcodeMask = 0x7800;
inline constexpr uint16_t kFlagAA = 0x0400;
inline constexpr uint16_t kFlagTC = 0x0200;
inline constexpr uint16_t kFlagRD = 0x0100;
inline constexpr uint16_t kFlagRA = 0x0080;
inline constexpr uint16_t kFlagZ = 0x0040;
inline constexpr uint16_t kRcodeMask = 0x000F;

inline constexpr uint8_t kRcodeNoError = 0;
inline constexpr uint8_t kRcodeNxDomain = 3;

// Why a message was rejected. Stable names (dns_err_name) for counters/logs.
enum class DnsErr : uint8_t {
  kTooLong = 1,       // more than kMaxQuerySize bytes
  kShortHeader,       // fewer than 12 bytes
  kReservedZ,         // header Z bit set
  kNotQuery,          // QR=1: a response, never answered
  kNoQuestion,        // QDCOUNT = 0
  kTruncatedName,     // a name runs past the end of the message
  kBadLabelLength,    // a length byte 0x40..0xBF (label > 63 or reserved label type)
  kNameTooLong,       // decompressed name over 255 bytes
  kBadPointer,        // compression pointer not strictly backwards (loop/forward)
  kTruncatedQuestion, // QTYPE/QCLASS missing
  kTruncatedRecord,   // record fixed part or RDATA missing
  kBadOpt,            // OPT RDATA is not a whole sequence of options
  kNoSpace,           // encoder: output buffer too small
  kBadName,           // encode_query: text name is not encodable
};
std::string_view dns_err_name(DnsErr e);

// A decompressed name in wire form (length-prefixed labels, then 0).
struct Name {
  std::array<uint8_t, kMaxNameWire> wire{};
  uint16_t wire_len = 1;  // root: the single 0 byte
  uint8_t labels = 0;

  [[nodiscard]] std::span<const uint8_t> bytes() const { return {wire.data(), wire_len}; }
  // Labels joined by '.', bytes verbatim, no trailing dot ("" for the root),
  // as the reference's Name::to_string for ASCII labels. Returns the length
  // written into out (always <= kMaxNameText).
  size_t text(std::span<char, kMaxNameText> out) const;
};

struct Question {
  Name qname;
  uint16_t qtype = 0;
  uint16_t qclass = 0;
};

struct Query {
  uint16_t id = 0;
  uint16_t flags = 0;
  uint16_t qdcount = 0, ancount = 0, nscount = 0, arcount = 0;
  Question question;  // the first question; the only one evaluated
  uint16_t opt_records = 0;  // EDNS OPT records seen (dropped from the reply)

  [[nodiscard]] uint8_t opcode() const { return static_cast<uint8_t>((flags & kOpcodeMask) >> 11); }
};

// Parses and validates a whole query (see the header comment for the rules).
[[nodiscard]] Result<Query, DnsErr> parse_query(std::span<const uint8_t> msg);

// An AAAA answer to append (owner = the question name via C0 0C).
struct AaaaAnswer {
  std::array<uint8_t, 16> addr{};
  uint32_t ttl = 0;
};

// Writes the reply for q into out; returns its length. Fails only with
// kNoSpace (a reply is at most 12 + 255 + 4 + 28 = 299 bytes).
[[nodiscard]] Result<size_t, DnsErr> encode_reply(const Query& q, uint8_t rcode,
                                                  const AaaaAnswer* answer,
                                                  std::span<uint8_t> out);

// Test/tool helper: a query with one question, name given as text
// ("a.b.fips", trailing '.' optional, labels 1..63 bytes, no escapes).
[[nodiscard]] Result<size_t, DnsErr> encode_query(uint16_t id, uint16_t flags,
                                                  std::string_view name, uint16_t qtype,
                                                  uint16_t qclass, std::span<uint8_t> out);

inline uint16_t load_u16be(const uint8_t* p) {
  return static_cast<uint16_t>((p[0] << 8) | p[1]);
}
inline void store_u16be(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

}  // namespace fips::dns
