#include "proto/lookup/wire.h"

#include <algorithm>

namespace fips::lookup {

namespace {

void check_type(Reader& r, uint8_t want) {
  const uint8_t type = r.u8();
  if (r.ok() && type != want) r.fail(WireErr::kBadType, "msg_type", want, type);
}

// Rejects a count above max before read_coords touches the entries, so a
// lying count is kTooLarge rather than kTruncated.
CoordsView read_bounded_coords(Reader& r, size_t max, const char* field) {
  Reader peek = r;
  const uint16_t n = peek.u16le();
  if (peek.ok() && n > max) {
    r.fail(WireErr::kTooLarge, field, max, n);
    return {};
  }
  return read_coords(r, /*allow_empty=*/false, field);
}

WireStatus check_count(size_t n, size_t max, const char* field) {
  if (n == 0) return wire_err(WireErr::kBadValue, field, 1, 0);
  if (n > max) return wire_err(WireErr::kTooLarge, field, max, n);
  return {};
}

template <class C>
WireStatus encode_request(Writer& w, const LookupRequest& h, const C& coords) {
  FIPS_TRY(check_count(coords.size(), kMaxRequestCoords, "origin_coords"));
  w.u8(kMsgTypeLookupRequest);
  w.u64le(h.request_id);
  w.bytes(h.target.bytes);
  w.bytes(h.origin.bytes);
  w.u8(h.ttl);
  w.u16le(h.min_mtu);
  write_coords(w, coords);
  return w.status();
}

template <class C>
WireStatus encode_response(Writer& w, uint64_t request_id, const NodeAddr& target, uint16_t path_mtu,
                           const C& coords, ByteSpan proof) {
  FIPS_TRY(check_count(coords.size(), kMaxResponseCoords, "target_coords"));
  if (proof.size() != kProofSize) return wire_err(WireErr::kBadLength, "proof", kProofSize, proof.size());
  w.u8(kMsgTypeLookupResponse);
  w.u64le(request_id);
  w.bytes(target.bytes);
  w.u16le(path_mtu);
  write_coords(w, coords);
  w.bytes(proof);
  return w.status();
}

template <class C>
WireStatus encode_proof(Writer& w, uint64_t request_id, const NodeAddr& target, const C& coords) {
  FIPS_TRY(check_count(coords.size(), kMaxResponseCoords, "target_coords"));
  w.u64le(request_id);
  w.bytes(target.bytes);
  write_coords(w, coords);
  return w.status();
}

}  // namespace

// ---- LookupRequest ----

WireResult<LookupRequestView> decode_lookup_request(ByteSpan msg) {
  Reader r(msg);
  check_type(r, kMsgTypeLookupRequest);
  LookupRequestView m;
  m.request_id = r.u64le();
  m.target = NodeAddr{r.array<16>("target")};
  m.origin = NodeAddr{r.array<16>("origin")};
  m.ttl = r.u8();
  m.min_mtu = r.u16le();
  m.origin_coords = read_bounded_coords(r, kMaxRequestCoords, "origin_coords");
  FIPS_TRY(r.status());  // trailing bytes ignored, as the reference
  return m;
}

WireStatus encode_lookup_request(Writer& w, const LookupRequest& m) {
  return encode_request(w, m, m.origin_coords);
}

WireStatus encode_lookup_request(Writer& w, const LookupRequestView& m) {
  const LookupRequest head{m.request_id, m.target, m.origin, m.ttl, m.min_mtu, {}};
  return encode_request(w, head, m.origin_coords);
}

// ---- LookupResponse ----

LookupResponse LookupResponseView::to_owned() const {
  LookupResponse m{request_id, target, path_mtu, target_coords.to_owned(), {}};
  if (proof.size() == kProofSize) std::copy(proof.begin(), proof.end(), m.proof.begin());
  return m;
}

WireResult<LookupResponseView> decode_lookup_response(ByteSpan msg) {
  Reader r(msg);
  check_type(r, kMsgTypeLookupResponse);
  LookupResponseView m;
  m.request_id = r.u64le();
  m.target = NodeAddr{r.array<16>("target")};
  m.path_mtu = r.u16le();
  m.target_coords = read_bounded_coords(r, kMaxResponseCoords, "target_coords");
  m.proof = r.bytes(kProofSize, "proof");
  FIPS_TRY(r.status());  // trailing bytes ignored, as the reference
  return m;
}

WireStatus encode_lookup_response(Writer& w, const LookupResponse& m) {
  return encode_response(w, m.request_id, m.target, m.path_mtu, m.target_coords, m.proof);
}

WireStatus encode_lookup_response(Writer& w, const LookupResponseView& m) {
  return encode_response(w, m.request_id, m.target, m.path_mtu, m.target_coords, m.proof);
}

// ---- Proof ----

WireStatus encode_proof_bytes(Writer& w, uint64_t request_id, const NodeAddr& target,
                              const Coords& coords) {
  return encode_proof(w, request_id, target, coords);
}

WireStatus encode_proof_bytes(Writer& w, uint64_t request_id, const NodeAddr& target,
                              const CoordsView& coords) {
  return encode_proof(w, request_id, target, coords);
}

std::vector<uint8_t> proof_bytes(uint64_t request_id, const NodeAddr& target, const Coords& coords) {
  return encode_to_vector(proof_bytes_size(coords.size()), [&](Writer& w) {
    (void)encode_proof_bytes(w, request_id, target, coords);
  });
}

bool sign_lookup_response(const Identity& id, LookupResponse& m) {
  if (m.target != id.node_addr()) return false;
  std::vector<uint8_t> data = proof_bytes(m.request_id, m.target, m.target_coords);
  if (data.empty()) return false;
  m.proof = id.sign(data);
  return true;
}

namespace {
template <class C>
bool verify_proof(const PeerIdentity& key, uint64_t request_id, const NodeAddr& target, const C& coords,
                  ByteSpan proof) {
  if (target != key.node_addr() || proof.size() != kProofSize) return false;
  std::vector<uint8_t> data(proof_bytes_size(coords.size()));
  Writer w{MutByteSpan(data)};
  if (!encode_proof_bytes(w, request_id, target, coords).ok()) return false;
  return key.verify(data, proof.first<kProofSize>());
}
}  // namespace

bool verify_lookup_response(const PeerIdentity& target_key, const LookupResponse& m) {
  return verify_proof(target_key, m.request_id, m.target, m.target_coords, m.proof);
}

bool verify_lookup_response(const PeerIdentity& target_key, const LookupResponseView& m) {
  return verify_proof(target_key, m.request_id, m.target, m.target_coords, m.proof);
}

}  // namespace fips::lookup
