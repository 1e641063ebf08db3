// FSP decoders: prefix/classify, SessionSetup/Ack/Msg3, the encrypted
// envelope, inner header and bodies, and the plaintext error signals. Any
// input: no crash, no UB, and whatever decodes re-encodes to the same bytes
// except the ones the decoders ignore (docs/interop.md), which come out in
// canonical form, and trailing bytes, which are dropped.
#include <cstdlib>
#include <cstring>
#include <vector>

#include "proto/fsp/signals.h"
#include "proto/fsp/wire.h"

using namespace fips;

namespace {

std::vector<uint8_t> g_out;

// Re-encodes what was decoded (our encoders write the canonical form) and
// checks it against the input: same bytes, except where `canon` says the
// decoder ignores the input byte (then the canonical byte is `canon`'s).
// Bytes after the canonical size are ignored input (trailing bytes).
template <class Enc, class Canon>
void reencode(ByteSpan in, Enc&& enc, Canon&& canon) {
  g_out.assign(in.size() + 16, 0);
  Writer w{MutByteSpan(g_out)};
  if (!enc(w).ok()) std::abort();
  if (w.pos() > in.size()) std::abort();
  for (size_t i = 0; i < w.pos(); ++i) {
    int want = canon(i);
    if (want < 0) want = in[i];
    if (g_out[i] != want) std::abort();
  }
}
// The byte is kept as it came.
constexpr auto kSame = [](size_t) { return -1; };

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteSpan in(data, size);
  (void)fsp::decode_common_prefix(in);
  auto kind = fsp::classify(in);
  // Handshake prefix: version nibble, prefix flags and payload_len ignored.
  auto hs_canon = [&](uint8_t phase, size_t total, int flags_byte) {
    return [=](size_t i) -> int {
      if (i == 0) return phase;
      if (i == 1) return 0;
      if (i == 2) return static_cast<uint8_t>(total - 4);
      if (i == 3) return static_cast<uint8_t>((total - 4) >> 8);
      if (i == 4) return flags_byte;
      return -1;
    };
  };

  if (auto m = fsp::decode_session_setup(in); m.ok()) {
    if (!kind.ok() || *kind != fsp::FspKind::kSessionSetup) std::abort();
    const size_t n = fsp::session_setup_wire_size(*m);
    if (n > size || m->flags != (data[4] & 0x03)) std::abort();  // unknown bits dropped
    reencode(in, [&](Writer& w) { return fsp::encode_session_setup(w, *m); },
             hs_canon(fsp::kPhaseMsg1, n, data[4] & 0x03));
  }
  if (auto m = fsp::decode_session_ack(in); m.ok()) {
    if (!kind.ok() || *kind != fsp::FspKind::kSessionAck) std::abort();
    reencode(in, [&](Writer& w) { return fsp::encode_session_ack(w, *m); },
             hs_canon(fsp::kPhaseMsg2, fsp::session_ack_wire_size(*m), 0));
  }
  if (auto m = fsp::decode_session_msg3(in); m.ok()) {
    if (!kind.ok() || *kind != fsp::FspKind::kSessionMsg3) std::abort();
    reencode(in, [&](Writer& w) { return fsp::encode_session_msg3(w, *m); },
             hs_canon(fsp::kPhaseMsg3, fsp::session_msg3_wire_size(*m), 0));
  }
  if (auto m = fsp::decode_encrypted(in); m.ok()) {
    if (!kind.ok() || *kind != fsp::FspKind::kEncrypted) std::abort();
    if (m->aad.data() != data || m->aad.size() != fsp::kHeaderSize) std::abort();
    if (fsp::decode_encrypted_coords(in)->rest_offset != size - m->ciphertext.size()) std::abort();
    // Flag bits 0xF8 and payload_len are ignored: the canonical header has
    // CP|K and payload_len = ciphertext - 16; everything else is kept.
    const uint8_t flags = static_cast<uint8_t>(m->header.flags & (fsp::kFlagCP | fsp::kFlagK));
    const size_t pt = m->ciphertext.size() - fsp::kTagSize;
    auto canon = [&](size_t i) -> int {
      if (i == 1) return flags;
      if (i == 2) return static_cast<uint8_t>(pt);
      if (i == 3) return static_cast<uint8_t>(pt >> 8);
      return -1;
    };
    reencode(in, [&](Writer& w) {
      return fsp::encode_encrypted(w, flags, m->header.counter, m->src_coords, m->dest_coords, m->ciphertext);
    }, canon);
    // The in-place encoder produces the same header + coords and layout.
    std::vector<uint8_t> buf(size);
    auto l = fsp::encode_encrypted_frame(buf, flags, m->header.counter, m->src_coords, m->dest_coords, pt);
    if (!l.ok() || l->total_size != size) std::abort();
    if (l->plaintext_offset != size - m->ciphertext.size()) std::abort();
    for (size_t i = 0; i < l->plaintext_offset; ++i) {
      const int want = canon(i) < 0 ? data[i] : canon(i);
      if (buf[i] != want) std::abort();
    }
  }
  if (auto t = fsp::peek_signal_type(in); t.ok()) {
    if (!kind.ok() || *kind != fsp::FspKind::kErrorSignal) std::abort();
  }
  // Signals: version nibble, prefix flags other than U, payload_len and the
  // reserved flags byte are ignored.
  auto sig_canon = [](size_t total) {
    return [=](size_t i) -> int {
      if (i == 0) return 0x00;
      if (i == 1) return fsp::kFlagU;
      if (i == 2) return static_cast<uint8_t>(total - 4);
      if (i == 3) return static_cast<uint8_t>((total - 4) >> 8);
      if (i == 5) return 0;
      return -1;
    };
  };
  if (auto m = fsp::decode_coords_required(in); m.ok())
    reencode(in, [&](Writer& w) { return fsp::encode_coords_required(w, *m); },
             sig_canon(fsp::kCoordsRequiredWireSize));
  if (auto m = fsp::decode_path_broken(in); m.ok())
    reencode(in, [&](Writer& w) { return fsp::encode_path_broken(w, *m); },
             sig_canon(fsp::path_broken_wire_size(*m)));
  if (auto m = fsp::decode_mtu_exceeded(in); m.ok())
    reencode(in, [&](Writer& w) { return fsp::encode_mtu_exceeded(w, *m); },
             sig_canon(fsp::kMtuExceededWireSize));

  // The same bytes read as a decrypted plaintext: inner header + body.
  if (auto inner = fsp::decode_inner(in); inner.ok()) {
    if (inner->header.inner_flags != (data[5] & fsp::kInnerFlagSP)) std::abort();
    reencode(in, [&](Writer& w) {
      auto st = fsp::encode_inner_header(w, inner->header);
      w.bytes(inner->body);
      return st.ok() ? w.status() : st;
    }, [&](size_t i) -> int { return i == 5 ? (data[5] & fsp::kInnerFlagSP) : -1; });
    ByteSpan body = inner->body;
    if (auto d = fsp::decode_data(body); d.ok())
      reencode(body, [&](Writer& w) { return fsp::encode_data(w, *d); }, kSame);
    if (auto p = fsp::decode_path_mtu_notification(body); p.ok())
      reencode(body, [&](Writer& w) { return fsp::encode_path_mtu_notification(w, *p); }, kSame);
    if (!fsp::decode_coords_warmup(body).ok()) std::abort();  // any body is accepted
  }
  return 0;
}
