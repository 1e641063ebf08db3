#include "ipv6/dns_message.h"

#include <cstring>

namespace fips::dns {
namespace {

constexpr uint8_t kPointerBits = 0xC0;
constexpr size_t kRecordFixed = 10;  // TYPE, CLASS, TTL, RDLENGTH

// Reads the name starting at *pos. On success *pos is just past the name as
// it appears at *pos (after the first pointer, if any).
Result<void, DnsErr> read_name(std::span<const uint8_t> msg, size_t* pos, Name* out) {
  size_t cur = *pos;
  size_t end_of_name = 0;  // set at the first pointer
  bool jumped = false;
  size_t len = 0;  // sum of (1 + label length): wire length without the root byte
  uint8_t labels = 0;
  for (;;) {
    if (cur >= msg.size()) return Err{DnsErr::kTruncatedName};
    const uint8_t b = msg[cur];
    if (b == 0) {
      ++cur;
      break;
    }
    if ((b & kPointerBits) == kPointerBits) {
      if (cur + 1 >= msg.size()) return Err{DnsErr::kTruncatedName};
      const size_t target = (static_cast<size_t>(b & 0x3F) << 8) | msg[cur + 1];
      // Strictly backwards (the reference's rule). A cycle of pointers alone
      // would need ever lower positions, so every cycle passes a label and
      // the 255-byte name limit below ends the walk.
      if (target >= cur) return Err{DnsErr::kBadPointer};
      if (!jumped) end_of_name = cur + 2;
      jumped = true;
      cur = target;
      continue;
    }
    if (b > kMaxLabel) return Err{DnsErr::kBadLabelLength};
    len += 1 + size_t{b};
    if (len >= kMaxNameWire) return Err{DnsErr::kNameTooLong};
    if (cur + 1 + b > msg.size()) return Err{DnsErr::kTruncatedName};
    if (out != nullptr) std::memcpy(out->wire.data() + (len - 1 - b), &msg[cur], size_t{b} + 1);
    ++labels;
    cur += 1 + size_t{b};
  }
  if (out != nullptr) {
    out->wire[len] = 0;
    out->wire_len = static_cast<uint16_t>(len + 1);
    out->labels = labels;
  }
  *pos = jumped ? end_of_name : cur;
  return {};
}

Result<void, DnsErr> read_question(std::span<const uint8_t> msg, size_t* pos, Question* out) {
  FIPS_TRY(read_name(msg, pos, out != nullptr ? &out->qname : nullptr));
  if (msg.size() - *pos < 4) return Err{DnsErr::kTruncatedQuestion};
  if (out != nullptr) {
    out->qtype = load_u16be(&msg[*pos]);
    out->qclass = load_u16be(&msg[*pos + 2]);
  }
  *pos += 4;
  return {};
}

// OPT RDATA: zero or more {code u16, length u16, data[length]} filling it exactly.
bool opt_rdata_ok(std::span<const uint8_t> rdata) {
  size_t p = 0;
  while (p < rdata.size()) {
    if (rdata.size() - p < 4) return false;
    const size_t olen = load_u16be(&rdata[p + 2]);
    p += 4;
    if (rdata.size() - p < olen) return false;
    p += olen;
  }
  return true;
}

Result<void, DnsErr> read_record(std::span<const uint8_t> msg, size_t* pos, uint16_t* opt_count) {
  FIPS_TRY(read_name(msg, pos, nullptr));
  if (msg.size() - *pos < kRecordFixed) return Err{DnsErr::kTruncatedRecord};
  const uint16_t type = load_u16be(&msg[*pos]);
  const size_t rdlen = load_u16be(&msg[*pos + 8]);
  *pos += kRecordFixed;
  if (msg.size() - *pos < rdlen) return Err{DnsErr::kTruncatedRecord};
  if (type == kTypeOPT) {
    if (!opt_rdata_ok(msg.subspan(*pos, rdlen))) return Err{DnsErr::kBadOpt};
    if (*opt_count < UINT16_MAX) ++*opt_count;
  }
  *pos += rdlen;
  return {};
}

}  // namespace

std::string_view dns_err_name(DnsErr e) {
  switch (e) {
    case DnsErr::kTooLong: return "too_long";
    case DnsErr::kShortHeader: return "short_header";
    case DnsErr::kReservedZ: return "reserved_z";
    case DnsErr::kNotQuery: return "not_query";
    case DnsErr::kNoQuestion: return "no_question";
    case DnsErr::kTruncatedName: return "truncated_name";
    case DnsErr::kBadLabelLength: return "bad_label_length";
    case DnsErr::kNameTooLong: return "name_too_long";
    case DnsErr::kBadPointer: return "bad_pointer";
    case DnsErr::kTruncatedQuestion: return "truncated_question";
    case DnsErr::kTruncatedRecord: return "truncated_record";
    case DnsErr::kBadOpt: return "bad_opt";
    case DnsErr::kNoSpace: return "no_space";
    case DnsErr::kBadName: return "bad_name";
  }
  return "unknown";
}

size_t Name::text(std::span<char, kMaxNameText> out) const {
  size_t n = 0;
  size_t p = 0;
  while (p < wire_len && wire[p] != 0) {
    const size_t l = wire[p];
    if (n != 0) out[n++] = '.';
    std::memcpy(out.data() + n, &wire[p + 1], l);
    n += l;
    p += 1 + l;
  }
  return n;
}

Result<Query, DnsErr> parse_query(std::span<const uint8_t> msg) {
  if (msg.size() > kMaxQuerySize) return Err{DnsErr::kTooLong};
  if (msg.size() < kHeaderSize) return Err{DnsErr::kShortHeader};
  Query q;
  q.id = load_u16be(&msg[0]);
  q.flags = load_u16be(&msg[2]);
  q.qdcount = load_u16be(&msg[4]);
  q.ancount = load_u16be(&msg[6]);
  q.nscount = load_u16be(&msg[8]);
  q.arcount = load_u16be(&msg[10]);
  if ((q.flags & kFlagZ) != 0) return Err{DnsErr::kReservedZ};
  if ((q.flags & kFlagQR) != 0) return Err{DnsErr::kNotQuery};
  if (q.qdcount == 0) return Err{DnsErr::kNoQuestion};

  // Every item takes at least 5 bytes, so these loops end early on short input.
  size_t pos = kHeaderSize;
  FIPS_TRY(read_question(msg, &pos, &q.question));
  for (uint32_t i = 1; i < q.qdcount; ++i) FIPS_TRY(read_question(msg, &pos, nullptr));
  const uint32_t records = uint32_t{q.ancount} + q.nscount + q.arcount;
  for (uint32_t i = 0; i < records; ++i) FIPS_TRY(read_record(msg, &pos, &q.opt_records));
  return q;
}

Result<size_t, DnsErr> encode_reply(const Query& q, uint8_t rcode, const AaaaAnswer* answer,
                                    std::span<uint8_t> out) {
  const Name& name = q.question.qname;
  const size_t need = kHeaderSize + name.wire_len + 4 + (answer != nullptr ? 28 : 0);
  if (out.size() < need) return Err{DnsErr::kNoSpace};
  uint8_t* p = out.data();
  store_u16be(p, q.id);
  const uint16_t flags = static_cast<uint16_t>(kFlagQR | (q.flags & kOpcodeMask) | kFlagAA |
                                               (rcode & kRcodeMask));
  store_u16be(p + 2, flags);
  store_u16be(p + 4, 1);
  store_u16be(p + 6, answer != nullptr ? 1 : 0);
  store_u16be(p + 8, 0);
  store_u16be(p + 10, 0);
  p += kHeaderSize;
  std::memcpy(p, name.wire.data(), name.wire_len);
  p += name.wire_len;
  store_u16be(p, q.question.qtype);
  store_u16be(p + 2, q.question.qclass);
  p += 4;
  if (answer != nullptr) {
    store_u16be(p, static_cast<uint16_t>(0xC000 | kQuestionOffset));
    store_u16be(p + 2, kTypeAAAA);
    store_u16be(p + 4, kClassIN);
    store_u16be(p + 6, static_cast<uint16_t>(answer->ttl >> 16));
    store_u16be(p + 8, static_cast<uint16_t>(answer->ttl));
    store_u16be(p + 10, 16);
    std::memcpy(p + 12, answer->addr.data(), 16);
    p += 28;
  }
  return static_cast<size_t>(p - out.data());
}

Result<size_t, DnsErr> encode_query(uint16_t id, uint16_t flags, std::string_view name,
                                    uint16_t qtype, uint16_t qclass, std::span<uint8_t> out) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  std::array<uint8_t, kMaxNameWire> wire{};
  size_t w = 0;
  while (!name.empty()) {
    const size_t dot = name.find('.');
    const std::string_view label = name.substr(0, dot);
    if (label.empty() || label.size() > kMaxLabel) return Err{DnsErr::kBadName};
    if (w + 1 + label.size() >= kMaxNameWire) return Err{DnsErr::kBadName};
    wire[w++] = static_cast<uint8_t>(label.size());
    std::memcpy(&wire[w], label.data(), label.size());
    w += label.size();
    if (dot == std::string_view::npos) break;
    name.remove_prefix(dot + 1);
    if (name.empty()) return Err{DnsErr::kBadName};  // "a..": empty last label
  }
  wire[w++] = 0;
  const size_t need = kHeaderSize + w + 4;
  if (out.size() < need) return Err{DnsErr::kNoSpace};
  uint8_t* p = out.data();
  store_u16be(p, id);
  store_u16be(p + 2, flags);
  store_u16be(p + 4, 1);
  store_u16be(p + 6, 0);
  store_u16be(p + 8, 0);
  store_u16be(p + 10, 0);
  std::memcpy(p + kHeaderSize, wire.data(), w);
  store_u16be(p + kHeaderSize + w, qtype);
  store_u16be(p + kHeaderSize + w + 2, qclass);
  return need;
}

}  // namespace fips::dns
