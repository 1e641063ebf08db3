// The .fips DNS responder (ipv6/dns_message.h, ipv6/dns.h, ipv6/hosts.h).
// The input is used three ways:
//   1. as a query datagram: parse_query and Responder::answer must agree
//      (reply iff parse ok); a reply is <= 512 bytes, echoes the ID and the
//      first question, and with QR cleared re-parses to that same question;
//      on_resolved fires iff the reply carries an AAAA answer for the
//      resolved node's address.
//   2. as a query NAME (text, fed through encode_query), to reach the
//      resolver (hosts alias, npub decoding, fips_label) with valid packets.
//   3. as hosts-file text (parse_hosts): no crash, every entry resolvable.
// Any violation aborts.
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "ipv6/dns.h"
#include "ipv6/dns_message.h"
#include "ipv6/hosts.h"

using namespace fips;
using namespace fips::dns;

namespace {

constexpr const char* kNpub = "npub10elfcs4fr0l0r8af98jlmgdh9c8tcxjvz9qkw038js35mp4dma8qzvjptg";

const HostMap& hosts() {
  static const HostMap m = [] {
    HostMap h;
    if (!h.insert("gateway", kNpub).ok()) std::abort();
    return h;
  }();
  return m;
}

struct Seen {
  int calls = 0;
  std::optional<PeerIdentity> id;
};

void check_reply(std::span<const uint8_t> query, Responder& r, Seen& seen) {
  const auto parsed = parse_query(query);
  seen = Seen{};
  const uint64_t before = r.counters().malformed;
  const auto reply = r.answer(query, 1);
  if (parsed.ok() != reply.has_value()) std::abort();
  if (!reply) {
    if (r.counters().malformed != before + 1) std::abort();
    if (seen.calls != 0) std::abort();
    return;
  }
  const auto b = reply->bytes();
  if (b.size() < kHeaderSize || b.size() > kMaxReplySize) std::abort();
  if (load_u16be(&b[0]) != parsed->id) std::abort();
  const uint16_t flags = load_u16be(&b[2]);
  if ((flags & kFlagQR) == 0 || (flags & kFlagAA) == 0) std::abort();
  if ((flags & kOpcodeMask) != (parsed->flags & kOpcodeMask)) std::abort();
  const uint16_t ancount = load_u16be(&b[6]);
  const uint8_t rcode = static_cast<uint8_t>(flags & kRcodeMask);
  if (rcode != kRcodeNoError && rcode != kRcodeNxDomain) std::abort();
  if (rcode == kRcodeNxDomain && ancount != 0) std::abort();
  // on_resolved fires exactly for AAAA answers, before answer() returns.
  if ((ancount == 1) != (seen.calls == 1) || seen.calls > 1) std::abort();
  if (ancount == 1) {
    if (parsed->question.qtype != kTypeAAAA) std::abort();
    const auto addr = seen.id->address().bytes;
    if (std::memcmp(b.data() + b.size() - 16, addr.data(), 16) != 0) std::abort();
  }

  // With QR cleared the reply is itself a valid query with the same question.
  std::array<uint8_t, kMaxReplySize> copy{};
  std::memcpy(copy.data(), b.data(), b.size());
  store_u16be(&copy[2], static_cast<uint16_t>(flags & ~kFlagQR));
  const auto again = parse_query(std::span<const uint8_t>(copy.data(), b.size()));
  if (!again.ok()) std::abort();
  const Question& q1 = parsed->question;
  const Question& q2 = again->question;
  if (again->qdcount != 1 || again->ancount != ancount || again->arcount != 0) std::abort();
  if (q1.qtype != q2.qtype || q1.qclass != q2.qclass || q1.qname.wire_len != q2.qname.wire_len ||
      std::memcmp(q1.qname.wire.data(), q2.qname.wire.data(), q1.qname.wire_len) != 0)
    std::abort();
  std::array<char, kMaxNameText> text{};
  if (q1.qname.text(text) > kMaxNameText) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Seen seen;
  static Responder responder(ResponderOptions{}, [](const PeerIdentity& id, uint64_t) {
    ++seen.calls;
    seen.id = id;
  });
  responder.set_hosts(&hosts());

  // 1. The input as a datagram.
  check_reply(std::span<const uint8_t>(data, size), responder, seen);

  // 2. The input as a name.
  const std::string_view name(reinterpret_cast<const char*>(data), size);
  (void)fips_label(name);
  std::array<uint8_t, kMaxQuerySize> q{};
  const uint16_t qtype = size > 0 && (data[0] & 1) != 0 ? kTypeA : kTypeAAAA;
  if (auto n = encode_query(0x4242, kFlagRD, name, qtype, kClassIN, q); n.ok()) {
    const std::span<const uint8_t> qs(q.data(), *n);
    if (!parse_query(qs).ok()) std::abort();
    check_reply(qs, responder, seen);
    const bool resolvable = responder.resolve(name).has_value();
    const auto reply = responder.answer(qs, 2);
    if (!reply) std::abort();
    const uint8_t rcode = static_cast<uint8_t>(load_u16be(&reply->buf[2]) & kRcodeMask);
    if ((rcode == kRcodeNoError) != resolvable) std::abort();
  }

  // 3. The input as a hosts file.
  HostsParse hp = parse_hosts(name, "fuzz");
  if (hp.map.size() > kMaxHostEntries) std::abort();
  return 0;
}
