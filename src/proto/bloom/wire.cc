#include "proto/bloom/wire.h"

namespace fips::bloom {

FilterAnnounce make_filter_announce(const Filter& f, uint64_t sequence, uint8_t size_class) {
  return FilterAnnounce{sequence, f.hash_count(), size_class, f.bytes()};
}

WireResult<FilterAnnounce> decode_filter_announce(ByteSpan msg) {
  Reader r(msg);
  const uint8_t type = r.u8();
  if (r.ok() && type != kFilterAnnounceType)
    r.fail(WireErr::kBadType, "msg_type", kFilterAnnounceType, type);
  FilterAnnounce fa;
  fa.sequence = r.u64le();
  fa.hash_count = r.u8();
  fa.size_class = r.u8();
  FIPS_TRY(r.status());
  if (fa.size_class > kMaxSizeClass)
    return wire_err(WireErr::kBadValue, "size_class", kMaxSizeClass, fa.size_class);
  if (fa.size_class != kV1SizeClass)
    return wire_err(WireErr::kBadVersion, "size_class", kV1SizeClass, fa.size_class);
  fa.filter_bits = r.bytes(size_class_bytes(fa.size_class), "filter_bits");
  FIPS_TRY(r.finish());
  if (fa.hash_count == 0) return wire_err(WireErr::kBadValue, "hash_count", 1, 0);
  return fa;
}

WireStatus encode_filter_announce(Writer& w, const FilterAnnounce& fa) {
  if (fa.size_class > kMaxSizeClass)
    return wire_err(WireErr::kBadValue, "size_class", kMaxSizeClass, fa.size_class);
  if (fa.hash_count == 0) return wire_err(WireErr::kBadValue, "hash_count", 1, 0);
  if (fa.filter_bits.size() != size_class_bytes(fa.size_class))
    return wire_err(WireErr::kBadLength, "filter_bits", size_class_bytes(fa.size_class),
                    fa.filter_bits.size());
  w.u8(kFilterAnnounceType);
  w.u64le(fa.sequence);
  w.u8(fa.hash_count);
  w.u8(fa.size_class);
  w.bytes(fa.filter_bits);
  return w.status();
}

BloomResult<Filter> to_filter(const FilterAnnounce& fa) {
  return Filter::from_bytes(fa.filter_bits, fa.hash_count);
}

}  // namespace fips::bloom
