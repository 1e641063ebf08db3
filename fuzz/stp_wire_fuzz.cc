// TreeAnnounce decoder. Any input: no crash, no UB; what decodes re-encodes
// to the same bytes (trailing bytes, which the decoder ignores as the
// reference does, are dropped), and its signed region and ancestry checks
// are computable.
#include <cstdlib>
#include <cstring>
#include <vector>

#include "proto/stp/wire.h"

using namespace fips;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteSpan in(data, size);
  auto d = stp::decode_tree_announce(in);
  if (!d.ok()) return 0;
  if (d->ancestry.empty() || d->signature.size() != stp::kSignatureSize) std::abort();
  const size_t n = stp::tree_announce_wire_size(*d);
  std::vector<uint8_t> out(n);
  if (n > size) std::abort();
  Writer w{MutByteSpan(out)};
  if (!stp::encode_tree_announce(w, *d).ok() || w.pos() != n) std::abort();
  if (std::memcmp(out.data(), data, n) != 0) std::abort();
  // The owned form encodes identically too.
  const stp::TreeAnnounce owned = d->to_owned();
  Writer w2{MutByteSpan(out)};
  if (!stp::encode_tree_announce(w2, owned).ok() || std::memcmp(out.data(), data, n) != 0)
    std::abort();
  if (stp::signed_bytes(*d) != stp::signed_bytes(owned)) std::abort();
  (void)stp::check_ancestry(*d);
  return 0;
}
