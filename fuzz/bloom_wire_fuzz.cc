// Bloom module: FilterAnnounce decoder and the Filter data structure. Any
// input: no crash, no UB; a decoded FilterAnnounce re-encodes to exactly the
// input; filters built from arbitrary bytes keep their invariants.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "proto/bloom/filter.h"
#include "proto/bloom/wire.h"

using namespace fips;

namespace {

void check_filter(bloom::Filter& f, ByteSpan probe) {
  const size_t ones = f.count_ones();
  if (ones > f.num_bits()) std::abort();
  if (f.is_empty() != (ones == 0)) std::abort();
  const double fill = f.fill_ratio();
  if (fill < 0.0 || fill > 1.0) std::abort();
  if (auto est = f.estimated_count(); est.has_value()) {
    if (ones == f.num_bits() || !(*est >= 0.0)) std::abort();
  } else if (ones != f.num_bits()) {
    std::abort();  // with no cap, only a saturated filter has no estimate
  }
  // No false negatives, and merging with itself changes nothing.
  f.insert_bytes(probe);
  if (!f.contains_bytes(probe)) std::abort();
  bloom::Filter copy = f;
  if (!copy.merge(f).ok() || !(copy == f)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteSpan in(data, size);
  if (auto fa = bloom::decode_filter_announce(in); fa.ok()) {
    if (fa->size_class != bloom::kV1SizeClass || fa->hash_count == 0) std::abort();
    std::vector<uint8_t> out(bloom::filter_announce_wire_size(*fa));
    Writer w{MutByteSpan(out)};
    if (!bloom::encode_filter_announce(w, *fa).ok()) std::abort();
    if (out.size() != size || std::memcmp(out.data(), data, size) != 0) std::abort();
    auto f = bloom::to_filter(*fa);
    if (!f.ok()) std::abort();
    check_filter(*f, in.first(16));
  }
  // Arbitrary filters: first byte is the hash count, the rest the bits.
  if (size >= 2) {
    if (auto f = bloom::Filter::from_bytes(in.subspan(1), data[0]); f.ok()) {
      check_filter(*f, in.first(std::min<size_t>(size, 16)));
    }
  }
  return 0;
}
