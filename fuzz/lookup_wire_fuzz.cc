// LookupRequest / LookupResponse decoders. Any input: no crash, no UB; what
// decodes re-encodes to the same bytes (view and owned forms) up to the
// decoded size (trailing bytes are ignored, as the reference), and the proof
// bytes are the wire's request_id || target || coords region.
#include <cstdlib>
#include <cstring>
#include <vector>

#include "proto/lookup/wire.h"

using namespace fips;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteSpan in(data, size);
  if (auto d = lookup::decode_lookup_request(in); d.ok()) {
    if (d->origin_coords.empty()) std::abort();
    const size_t n = lookup::lookup_request_wire_size(d->origin_coords.size());
    if (n > size) std::abort();
    std::vector<uint8_t> out(n);
    Writer w{MutByteSpan(out)};
    if (!lookup::encode_lookup_request(w, *d).ok() || w.pos() != n) std::abort();
    if (std::memcmp(out.data(), data, n) != 0) std::abort();
    Writer w2{MutByteSpan(out)};
    if (!lookup::encode_lookup_request(w2, d->to_owned()).ok() || w2.pos() != n ||
        std::memcmp(out.data(), data, n) != 0)
      std::abort();
  }
  if (auto d = lookup::decode_lookup_response(in); d.ok()) {
    if (d->target_coords.empty() || d->proof.size() != lookup::kProofSize) std::abort();
    const size_t n = lookup::lookup_response_wire_size(d->target_coords.size());
    if (n > size) std::abort();
    std::vector<uint8_t> out(n);
    Writer w{MutByteSpan(out)};
    if (!lookup::encode_lookup_response(w, *d).ok() || w.pos() != n) std::abort();
    if (std::memcmp(out.data(), data, n) != 0) std::abort();
    const lookup::LookupResponse owned = d->to_owned();
    Writer w2{MutByteSpan(out)};
    if (!lookup::encode_lookup_response(w2, owned).ok() || w2.pos() != n ||
        std::memcmp(out.data(), data, n) != 0)
      std::abort();
    // proof bytes == data[1..25) || data[27..n-64)
    auto pb = lookup::proof_bytes(owned.request_id, owned.target, owned.target_coords);
    if (pb.size() != 24 + (n - 64 - 27)) std::abort();
    if (std::memcmp(pb.data(), data + 1, 24) != 0) std::abort();
    if (std::memcmp(pb.data() + 24, data + 27, n - 64 - 27) != 0) std::abort();
  }
  return 0;
}
