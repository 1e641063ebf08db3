// FMP framing decoders: common prefix, established header, inner header,
// msg1, msg2, Disconnect, Heartbeat. Any input: no crash, no UB, and what
// decodes re-encodes to the same bytes.
#include <cstdlib>
#include <cstring>
#include <vector>

#include "proto/fmp/wire.h"

using namespace fips;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteSpan in(data, size);
  (void)fmp::decode_common_prefix(in);
  if (auto h = fmp::decode_established_header(in); h.ok()) {
    uint8_t out[16];
    fmp::encode_established_header(*h, out);
    if (std::memcmp(out, data, 16) != 0) std::abort();
    (void)fmp::decode_inner_header(in.subspan(16));
  }
  if (auto m = fmp::decode_msg1(in); m.ok()) {
    std::vector<uint8_t> out(fmp::kMsg1WireSize);
    Writer w{MutByteSpan(out)};
    if (!fmp::encode_msg1(w, m->sender_idx, m->noise_msg1).ok()) std::abort();
    if (std::memcmp(out.data(), data, size) != 0) std::abort();
  }
  if (auto m = fmp::decode_msg2(in); m.ok()) {
    std::vector<uint8_t> out(fmp::kMsg2WireSize);
    Writer w{MutByteSpan(out)};
    if (!fmp::encode_msg2(w, m->sender_idx, m->receiver_idx, m->noise_msg2).ok()) std::abort();
    if (std::memcmp(out.data(), data, size) != 0) std::abort();
  }
  if (auto d = fmp::decode_disconnect(in); d.ok()) {
    uint8_t out[2];
    Writer w{MutByteSpan(out)};
    if (!fmp::encode_disconnect(w, *d).ok() || std::memcmp(out, data, 2) != 0) std::abort();
  }
  (void)fmp::decode_heartbeat(in);
  return 0;
}
