#include "crypto/secp256k1.h"

#include <secp256k1.h>
#include <secp256k1_ecdh.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "crypto/random.h"

namespace fips {
namespace {

static_assert(sizeof(secp256k1_keypair) == 96);

const secp256k1_context* ctx() {
  static const secp256k1_context* c = [] {
    secp256k1_context* cx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    if (!cx) {
      std::fputs("fatal: secp256k1_context_create failed\n", stderr);
      std::abort();
    }
    uint8_t seed[32];
    random_bytes(seed);
    if (!secp256k1_context_randomize(cx, seed)) std::abort();
    secure_wipe(seed, sizeof seed);
    return cx;
  }();
  return c;
}

int ecdh_copy_x(unsigned char* output, const unsigned char* x32, const unsigned char*, void*) {
  std::memcpy(output, x32, 32);
  return 1;
}

}  // namespace

std::optional<SecretKey> SecretKey::from_bytes(std::span<const uint8_t, 32> b) {
  if (!secp256k1_ec_seckey_verify(ctx(), b.data())) return std::nullopt;
  return SecretKey(Key32(b));
}

SecretKey SecretKey::generate() {
  for (;;) {
    Key32 k;
    random_bytes(k.mut_span());
    if (secp256k1_ec_seckey_verify(ctx(), k.data())) return SecretKey(std::move(k));
  }
}

CompressedKey SecretKey::public_key() const {
  secp256k1_pubkey pk;
  CompressedKey out{};
  if (!secp256k1_ec_pubkey_create(ctx(), &pk, bytes_.data())) std::abort();  // valid by construction
  size_t len = out.size();
  secp256k1_ec_pubkey_serialize(ctx(), out.data(), &len, &pk, SECP256K1_EC_COMPRESSED);
  return out;
}

KeyPair::KeyPair(const SecretKey& sk) {
  auto* kp = reinterpret_cast<secp256k1_keypair*>(kp_.data());
  if (!secp256k1_keypair_create(ctx(), kp, sk.bytes().data())) std::abort();
}

SchnorrSig KeyPair::sign32(const Digest32& msg32) const {
  SchnorrSig sig{};
  uint8_t aux[32];
  random_bytes(aux);
  const auto* kp = reinterpret_cast<const secp256k1_keypair*>(kp_.data());
  if (!secp256k1_schnorrsig_sign32(ctx(), sig.data(), msg32.data(), kp, aux)) std::abort();
  return sig;
}

bool pubkey_valid(std::span<const uint8_t, 33> compressed) {
  secp256k1_pubkey pk;
  if (compressed[0] != 0x02 && compressed[0] != 0x03) return false;
  return secp256k1_ec_pubkey_parse(ctx(), &pk, compressed.data(), 33) == 1;
}

bool xonly_valid(std::span<const uint8_t, 32> x) {
  secp256k1_xonly_pubkey pk;
  return secp256k1_xonly_pubkey_parse(ctx(), &pk, x.data()) == 1;
}

XOnlyKey to_xonly(const CompressedKey& k) {
  XOnlyKey x;
  std::memcpy(x.data(), k.data() + 1, 32);
  return x;
}

CompressedKey lift_x_even(const XOnlyKey& x) {
  CompressedKey k;
  k[0] = 0x02;
  std::memcpy(k.data() + 1, x.data(), 32);
  return k;
}

bool ecdh_x(const SecretKey& sk, std::span<const uint8_t, 33> pk, Key32& out) {
  secp256k1_pubkey p;
  if (pk[0] != 0x02 && pk[0] != 0x03) return false;
  if (!secp256k1_ec_pubkey_parse(ctx(), &p, pk.data(), 33)) return false;
  Key32 x;
  if (!secp256k1_ecdh(ctx(), x.data(), &p, sk.bytes().data(), ecdh_copy_x, nullptr)) return false;
  Digest32 h = sha256(x.span());
  std::memcpy(out.data(), h.data(), 32);
  secure_wipe(h.data(), h.size());
  return true;
}

bool schnorr_verify(std::span<const uint8_t, 64> sig, const Digest32& msg32,
                    std::span<const uint8_t, 32> xonly) {
  secp256k1_xonly_pubkey pk;
  if (!secp256k1_xonly_pubkey_parse(ctx(), &pk, xonly.data())) return false;
  return secp256k1_schnorrsig_verify(ctx(), sig.data(), msg32.data(), 32, &pk) == 1;
}

}  // namespace fips
