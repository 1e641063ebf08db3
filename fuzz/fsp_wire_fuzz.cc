// FSP decoders: prefix/classify, SessionSetup/Ack/Msg3, the encrypted
// envelope, inner header and bodies, and the plaintext error signals. Any
// input: no crash, no UB, and whatever decodes re-encodes to the same bytes.
#include <cstdlib>
#include <cstring>
#include <vector>

#include "proto/fsp/signals.h"
#include "proto/fsp/wire.h"

using namespace fips;

namespace {

std::vector<uint8_t> g_out;

// out[0, n) must equal in exactly.
void check_same(const Writer& w, ByteSpan in) {
  if (!w.ok() || w.pos() != in.size()) std::abort();
  if (!in.empty() && std::memcmp(g_out.data(), in.data(), in.size()) != 0) std::abort();
}

template <class Enc>
void reencode(ByteSpan in, Enc&& enc) {
  g_out.assign(in.size() + 16, 0);
  Writer w{MutByteSpan(g_out)};
  if (!enc(w).ok()) std::abort();
  check_same(w, in);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteSpan in(data, size);
  (void)fsp::decode_common_prefix(in);
  auto kind = fsp::classify(in);

  if (auto m = fsp::decode_session_setup(in); m.ok()) {
    if (!kind.ok() || *kind != fsp::FspKind::kSessionSetup) std::abort();
    if (fsp::session_setup_wire_size(*m) != size) std::abort();
    reencode(in, [&](Writer& w) { return fsp::encode_session_setup(w, *m); });
  }
  if (auto m = fsp::decode_session_ack(in); m.ok()) {
    if (!kind.ok() || *kind != fsp::FspKind::kSessionAck) std::abort();
    reencode(in, [&](Writer& w) { return fsp::encode_session_ack(w, *m); });
  }
  if (auto m = fsp::decode_session_msg3(in); m.ok()) {
    if (!kind.ok() || *kind != fsp::FspKind::kSessionMsg3) std::abort();
    reencode(in, [&](Writer& w) { return fsp::encode_session_msg3(w, *m); });
  }
  if (auto m = fsp::decode_encrypted(in); m.ok()) {
    if (!kind.ok() || *kind != fsp::FspKind::kEncrypted) std::abort();
    if (m->aad.data() != data || m->aad.size() != fsp::kHeaderSize) std::abort();
    reencode(in, [&](Writer& w) {
      return fsp::encode_encrypted(w, m->header.flags, m->header.counter, m->src_coords, m->dest_coords,
                                   m->ciphertext);
    });
    // The in-place encoder produces the same header + coords and layout.
    std::vector<uint8_t> buf(size);
    auto l = fsp::encode_encrypted_frame(buf, m->header.flags, m->header.counter, m->src_coords,
                                         m->dest_coords, m->header.payload_len);
    if (!l.ok() || l->total_size != size) std::abort();
    if (l->plaintext_offset != size - m->ciphertext.size()) std::abort();
    if (std::memcmp(buf.data(), data, l->plaintext_offset) != 0) std::abort();
  }
  if (auto t = fsp::peek_signal_type(in); t.ok()) {
    if (!kind.ok() || *kind != fsp::FspKind::kErrorSignal) std::abort();
  }
  if (auto m = fsp::decode_coords_required(in); m.ok())
    reencode(in, [&](Writer& w) { return fsp::encode_coords_required(w, *m); });
  if (auto m = fsp::decode_path_broken(in); m.ok())
    reencode(in, [&](Writer& w) { return fsp::encode_path_broken(w, *m); });
  if (auto m = fsp::decode_mtu_exceeded(in); m.ok())
    reencode(in, [&](Writer& w) { return fsp::encode_mtu_exceeded(w, *m); });

  // The same bytes read as a decrypted plaintext: inner header + body.
  if (auto inner = fsp::decode_inner(in); inner.ok()) {
    reencode(in, [&](Writer& w) {
      auto st = fsp::encode_inner_header(w, inner->header);
      w.bytes(inner->body);
      return st.ok() ? w.status() : st;
    });
    ByteSpan body = inner->body;
    if (auto d = fsp::decode_data(body); d.ok())
      reencode(body, [&](Writer& w) { return fsp::encode_data(w, *d); });
    if (auto p = fsp::decode_path_mtu_notification(body); p.ok())
      reencode(body, [&](Writer& w) { return fsp::encode_path_mtu_notification(w, *p); });
    if (fsp::decode_coords_warmup(body).ok() && !body.empty()) std::abort();
  }
  return 0;
}
