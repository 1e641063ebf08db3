#include "noise/handshake.h"

#include <cstring>

namespace fips {

std::string_view noise_err_name(NoiseErr e) {
  switch (e) {
    case NoiseErr::kWrongRole: return "wrong role";
    case NoiseErr::kWrongState: return "wrong handshake state";
    case NoiseErr::kBadSize: return "wrong message size";
    case NoiseErr::kInvalidKey: return "invalid public key";
    case NoiseErr::kDecrypt: return "decryption failed";
    case NoiseErr::kNotComplete: return "handshake not complete";
    case NoiseErr::kNonceOverflow: return "nonce overflow";
    case NoiseErr::kReplay: return "replayed or too old counter";
    case NoiseErr::kEncrypt: return "encryption failed";
  }
  return "noise error";
}

// ---- Symmetric state ----

HandshakeState::Symmetric HandshakeState::Symmetric::clone() const {
  Symmetric s;
  s.ck = ck.clone();
  s.h = h;
  s.k = k.clone();
  s.has_k = has_k;
  s.n = n;
  return s;
}

void HandshakeState::Symmetric::mix_hash(std::span<const uint8_t> data) { h = sha256_2(h, data); }

void HandshakeState::Symmetric::mix_key(const Key32& ikm) {
  Key32 new_ck, new_k;
  hkdf_sha256_2(ck.span(), ikm.span(), new_ck, new_k);
  ck = std::move(new_ck);
  k = std::move(new_k);
  has_k = true;
  n = 0;
}

bool HandshakeState::Symmetric::encrypt_and_hash(std::span<const uint8_t> pt, uint8_t* out) {
  // Every FIPS handshake payload is encrypted after a mix_key.
  if (!has_k || n == UINT64_MAX) return false;
  AeadKey aead(k);
  if (!aead.seal(n, {}, pt, out)) return false;
  ++n;
  mix_hash(std::span<const uint8_t>(out, pt.size() + kAeadTagSize));
  return true;
}

bool HandshakeState::Symmetric::decrypt_and_hash(std::span<const uint8_t> ct, uint8_t* out) {
  if (!has_k || n == UINT64_MAX || ct.size() < kAeadTagSize) return false;
  AeadKey aead(k);
  if (!aead.open(n, {}, ct, out)) return false;
  ++n;
  mix_hash(ct);
  return true;
}

// ---- Construction ----

HandshakeState::HandshakeState(NoisePattern p, NoiseRole r, const Identity& local,
                               const Epoch& epoch)
    : pattern_(p),
      role_(r),
      local_static_(local.secret().clone()),
      local_static_pub_(local.compressed()),
      local_epoch_(epoch) {
  std::string_view name = p == NoisePattern::kIK ? kProtocolNameIK : kProtocolNameXK;
  static_assert(kProtocolNameIK.size() > 32 && kProtocolNameXK.size() > 32);
  Digest32 h = sha256(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(name.data()),
                                               name.size()));
  sym_.h = h;
  std::memcpy(sym_.ck.data(), h.data(), 32);
}

void HandshakeState::mix_premessage(const CompressedKey& responder_static) {
  CompressedKey normalized = responder_static;
  normalized[0] = 0x02;
  sym_.mix_hash(normalized);
}

HandshakeState HandshakeState::ik_initiator(const Identity& local, const CompressedKey& rs,
                                            const Epoch& epoch) {
  HandshakeState s(NoisePattern::kIK, NoiseRole::kInitiator, local, epoch);
  s.remote_static_ = rs;
  s.mix_premessage(rs);
  return s;
}

HandshakeState HandshakeState::ik_responder(const Identity& local, const Epoch& epoch) {
  HandshakeState s(NoisePattern::kIK, NoiseRole::kResponder, local, epoch);
  s.mix_premessage(local.compressed());
  return s;
}

HandshakeState HandshakeState::xk_initiator(const Identity& local, const CompressedKey& rs,
                                            const Epoch& epoch) {
  HandshakeState s(NoisePattern::kXK, NoiseRole::kInitiator, local, epoch);
  s.remote_static_ = rs;
  s.mix_premessage(rs);
  return s;
}

HandshakeState HandshakeState::xk_responder(const Identity& local, const Epoch& epoch) {
  HandshakeState s(NoisePattern::kXK, NoiseRole::kResponder, local, epoch);
  s.mix_premessage(local.compressed());
  return s;
}

SecretKey HandshakeState::make_ephemeral() {
  if (next_ephemeral_) {
    SecretKey e = std::move(*next_ephemeral_);
    next_ephemeral_.reset();
    return e;
  }
  return SecretKey::generate();
}

// ---- Message schedule ----

size_t HandshakeState::next_message_size() const {
  const bool ik = pattern_ == NoisePattern::kIK;
  switch (progress_) {
    case HandshakeProgress::kInitial: return ik ? kIkMsg1Size : kXkMsg1Size;
    case HandshakeProgress::kMsg1Done: return ik ? kIkMsg2Size : kXkMsg2Size;
    case HandshakeProgress::kMsg2Done: return ik ? 0 : kXkMsg3Size;
    case HandshakeProgress::kComplete: return 0;
  }
  return 0;
}

bool HandshakeState::is_my_turn_to_write() const {
  const bool init = role_ == NoiseRole::kInitiator;
  switch (progress_) {
    case HandshakeProgress::kInitial: return init;
    case HandshakeProgress::kMsg1Done: return !init;
    case HandshakeProgress::kMsg2Done: return init && pattern_ == NoisePattern::kXK;
    case HandshakeProgress::kComplete: return false;
  }
  return false;
}

Result<size_t, NoiseErr> HandshakeState::write_message(std::span<uint8_t> out) {
  if (progress_ == HandshakeProgress::kComplete) return Err{NoiseErr::kWrongState};
  if (!is_my_turn_to_write()) return Err{NoiseErr::kWrongRole};
  const size_t size = next_message_size();
  if (out.size() < size) return Err{NoiseErr::kBadSize};

  Symmetric s = sym_.clone();
  uint8_t* p = out.data();
  Key32 dh;
  const bool ik = pattern_ == NoisePattern::kIK;

  if (progress_ == HandshakeProgress::kInitial) {
    // -> e, es [, s, ss, payload]   (initiator)
    SecretKey e = make_ephemeral();
    CompressedKey e_pub = e.public_key();
    std::memcpy(p, e_pub.data(), kPubkeySize);
    s.mix_hash(e_pub);
    if (!ecdh_x(e, *remote_static_, dh)) return Err{NoiseErr::kInvalidKey};
    s.mix_key(dh);
    if (ik) {
      if (!s.encrypt_and_hash(local_static_pub_, p + kPubkeySize)) return Err{NoiseErr::kNonceOverflow};
      if (!ecdh_x(local_static_, *remote_static_, dh)) return Err{NoiseErr::kInvalidKey};
      s.mix_key(dh);
      if (!s.encrypt_and_hash(local_epoch_, p + kPubkeySize + kPubkeySize + kAeadTagSize))
        return Err{NoiseErr::kNonceOverflow};
    }
    ephemeral_ = std::move(e);
    progress_ = HandshakeProgress::kMsg1Done;
  } else if (progress_ == HandshakeProgress::kMsg1Done) {
    // <- e, ee [, se], payload   (responder)
    SecretKey e = make_ephemeral();
    CompressedKey e_pub = e.public_key();
    std::memcpy(p, e_pub.data(), kPubkeySize);
    s.mix_hash(e_pub);
    if (!ecdh_x(e, *remote_ephemeral_, dh)) return Err{NoiseErr::kInvalidKey};
    s.mix_key(dh);
    if (ik) {
      // The reference's "se": DH(responder static, initiator ephemeral).
      if (!ecdh_x(local_static_, *remote_ephemeral_, dh)) return Err{NoiseErr::kInvalidKey};
      s.mix_key(dh);
    }
    if (!s.encrypt_and_hash(local_epoch_, p + kPubkeySize)) return Err{NoiseErr::kNonceOverflow};
    ephemeral_ = std::move(e);
    progress_ = ik ? HandshakeProgress::kComplete : HandshakeProgress::kMsg2Done;
  } else {
    // XK -> s, se, payload   (initiator)
    if (!s.encrypt_and_hash(local_static_pub_, p)) return Err{NoiseErr::kNonceOverflow};
    if (!ecdh_x(local_static_, *remote_ephemeral_, dh)) return Err{NoiseErr::kInvalidKey};
    s.mix_key(dh);
    if (!s.encrypt_and_hash(local_epoch_, p + kPubkeySize + kAeadTagSize))
      return Err{NoiseErr::kNonceOverflow};
    progress_ = HandshakeProgress::kComplete;
  }
  sym_ = std::move(s);
  return size;
}

Result<void, NoiseErr> HandshakeState::read_message(std::span<const uint8_t> in) {
  if (progress_ == HandshakeProgress::kComplete) return Err{NoiseErr::kWrongState};
  if (is_my_turn_to_write()) return Err{NoiseErr::kWrongRole};
  if (in.size() != next_message_size()) return Err{NoiseErr::kBadSize};

  // Work on copies; commit only when the whole message verified.
  Symmetric s = sym_.clone();
  Key32 dh;
  const bool ik = pattern_ == NoisePattern::kIK;
  const uint8_t* p = in.data();

  auto read_key = [](const uint8_t* src, CompressedKey& k) {
    std::memcpy(k.data(), src, kPubkeySize);
    return pubkey_valid(k);
  };

  if (progress_ == HandshakeProgress::kInitial) {
    // responder reads -> e, es [, s, ss, payload]
    CompressedKey re;
    if (!read_key(p, re)) return Err{NoiseErr::kInvalidKey};
    s.mix_hash(re);
    if (!ecdh_x(local_static_, re, dh)) return Err{NoiseErr::kInvalidKey};
    s.mix_key(dh);
    std::optional<CompressedKey> rs;
    std::optional<Epoch> epoch;
    if (ik) {
      CompressedKey static_pt;
      if (!s.decrypt_and_hash(std::span<const uint8_t>(p + kPubkeySize, kPubkeySize + kAeadTagSize),
                              static_pt.data()))
        return Err{NoiseErr::kDecrypt};
      if (!pubkey_valid(static_pt)) return Err{NoiseErr::kInvalidKey};
      if (!ecdh_x(local_static_, static_pt, dh)) return Err{NoiseErr::kInvalidKey};
      s.mix_key(dh);
      Epoch ep;
      if (!s.decrypt_and_hash(
              std::span<const uint8_t>(p + 2 * kPubkeySize + kAeadTagSize, kEpochEncryptedSize),
              ep.data()))
        return Err{NoiseErr::kDecrypt};
      rs = static_pt;
      epoch = ep;
    }
    remote_ephemeral_ = re;
    if (rs) remote_static_ = rs;
    if (epoch) remote_epoch_ = epoch;
    progress_ = HandshakeProgress::kMsg1Done;
  } else if (progress_ == HandshakeProgress::kMsg1Done) {
    // initiator reads <- e, ee [, se], payload
    CompressedKey re;
    if (!read_key(p, re)) return Err{NoiseErr::kInvalidKey};
    s.mix_hash(re);
    if (!ecdh_x(*ephemeral_, re, dh)) return Err{NoiseErr::kInvalidKey};
    s.mix_key(dh);
    if (ik) {
      if (!ecdh_x(*ephemeral_, *remote_static_, dh)) return Err{NoiseErr::kInvalidKey};
      s.mix_key(dh);
    }
    Epoch ep;
    if (!s.decrypt_and_hash(std::span<const uint8_t>(p + kPubkeySize, kEpochEncryptedSize),
                            ep.data()))
      return Err{NoiseErr::kDecrypt};
    remote_ephemeral_ = re;
    remote_epoch_ = ep;
    progress_ = ik ? HandshakeProgress::kComplete : HandshakeProgress::kMsg2Done;
  } else {
    // XK responder reads -> s, se, payload
    CompressedKey static_pt;
    if (!s.decrypt_and_hash(std::span<const uint8_t>(p, kPubkeySize + kAeadTagSize),
                            static_pt.data()))
      return Err{NoiseErr::kDecrypt};
    if (!pubkey_valid(static_pt)) return Err{NoiseErr::kInvalidKey};
    if (!ecdh_x(*ephemeral_, static_pt, dh)) return Err{NoiseErr::kInvalidKey};
    s.mix_key(dh);
    Epoch ep;
    if (!s.decrypt_and_hash(
            std::span<const uint8_t>(p + kPubkeySize + kAeadTagSize, kEpochEncryptedSize),
            ep.data()))
      return Err{NoiseErr::kDecrypt};
    remote_static_ = static_pt;
    remote_epoch_ = ep;
    progress_ = HandshakeProgress::kComplete;
  }
  sym_ = std::move(s);
  return {};
}

Result<HandshakeResult, NoiseErr> HandshakeState::split() const {
  if (progress_ != HandshakeProgress::kComplete) return Err{NoiseErr::kNotComplete};
  Key32 k1, k2;
  hkdf_sha256_2(sym_.ck.span(), std::span<const uint8_t>(), k1, k2);
  HandshakeResult r;
  r.role = role_;
  if (role_ == NoiseRole::kInitiator) {
    r.send = AeadKey(k1);
    r.recv = AeadKey(k2);
  } else {
    r.send = AeadKey(k2);
    r.recv = AeadKey(k1);
  }
  r.handshake_hash = sym_.h;
  r.remote_static = *remote_static_;
  r.remote_epoch = *remote_epoch_;
  return r;
}

}  // namespace fips
