// Known-answer tests against tests/vectors/ (independent TypeScript implementation).
#include "identity/identity.h"
#include "noise/handshake.h"
#include "test_util.h"

namespace fips {
namespace {

using test::hex;
using test::load_vectors;
using test::secret_of_byte;
using test::unhex;

// IPv6 addresses: fd || node_addr[0..15], written out by hand from nodeAddrHex.
const char* kExpectedIpv6[5] = {
    "fdec:3925:bdbd:24aa:1cfd:2f:9ccf:52f2",
    "fd46:f688:3bb:f389:e1df:f3e:3af3:9c30",
    "fdca:71ca:3963:c5a8:63ff:5fd6:ca14:819",
    "fd85:db7e:8adc:76eb:9205:c2d6:b0d1:12c3",
    "fd1a:5ee9:50aa:e9ae:bed3:a46:bd2b:fef4",
};

TEST(Vectors, FiveIdentities) {
  auto v = load_vectors("ts-oracle-vectors.json");
  ASSERT_EQ(v["identities"].size(), 5u);
  int i = 0;
  for (const auto& id : v["identities"]) {
    SCOPED_TRACE(i);
    auto ident = Identity::from_secret_str(id["secretKeyHex"].get<std::string>());
    ASSERT_TRUE(ident.ok()) << ident.error().message();
    EXPECT_EQ(hex(ident->compressed()), id["compressedPubkeyHex"]);
    EXPECT_EQ(hex(ident->xonly()), id["xOnlyHex"]);
    EXPECT_EQ(ident->npub(), id["npub"]);
    EXPECT_EQ(ident->node_addr().hex(), id["nodeAddrHex"]);
    EXPECT_EQ(ident->address().str(), kExpectedIpv6[i]);

    // The npub decodes back to the same x-only key and node_addr.
    auto peer = PeerIdentity::from_npub(id["npub"].get<std::string>());
    ASSERT_TRUE(peer.ok()) << peer.error().message();
    EXPECT_EQ(hex(peer->xonly()), id["xOnlyHex"]);
    EXPECT_EQ(peer->node_addr(), ident->node_addr());
    // nsec round trip.
    auto again = Identity::from_secret_str(ident->nsec());
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->npub(), ident->npub());
    ++i;
  }
}

struct Party {
  Identity id;
};

HandshakeState make(NoisePattern p, NoiseRole r, const Identity& local, const Identity& remote,
                    uint8_t eph) {
  Epoch epoch{};
  HandshakeState hs = [&] {
    if (p == NoisePattern::kIK) {
      return r == NoiseRole::kInitiator ? HandshakeState::ik_initiator(local, remote.compressed(), epoch)
                                        : HandshakeState::ik_responder(local, epoch);
    }
    return r == NoiseRole::kInitiator ? HandshakeState::xk_initiator(local, remote.compressed(), epoch)
                                      : HandshakeState::xk_responder(local, epoch);
  }();
  NoiseTestHooks::set_next_ephemeral(hs, secret_of_byte(eph));
  return hs;
}

TEST(Vectors, NoiseIK) {
  auto v = load_vectors("noise-handshakes.json")["ik"];
  Identity a = Identity::from_secret(secret_of_byte(0xa1));
  Identity b = Identity::from_secret(secret_of_byte(0xb2));
  auto init = make(NoisePattern::kIK, NoiseRole::kInitiator, a, b, 0xc3);
  auto resp = make(NoisePattern::kIK, NoiseRole::kResponder, b, a, 0xd4);

  std::vector<uint8_t> m1(kIkMsg1Size);
  ASSERT_TRUE(init.write_message(m1).ok());
  EXPECT_EQ(hex(m1), v["msg1"]);
  ASSERT_TRUE(resp.read_message(m1).ok());
  std::vector<uint8_t> m2(kIkMsg2Size);
  ASSERT_TRUE(resp.write_message(m2).ok());
  EXPECT_EQ(hex(m2), v["msg2"]);
  ASSERT_TRUE(init.read_message(m2).ok());

  EXPECT_EQ(hex(init.handshake_hash()), v["handshakeHash"]);
  EXPECT_EQ(hex(resp.handshake_hash()), v["handshakeHash"]);
  EXPECT_EQ(*resp.remote_static(), a.compressed());
  EXPECT_EQ(*resp.remote_epoch(), Epoch{});
}

TEST(Vectors, NoiseXK) {
  auto v = load_vectors("noise-handshakes.json")["xk"];
  Identity a = Identity::from_secret(secret_of_byte(0xa1));
  Identity b = Identity::from_secret(secret_of_byte(0xb2));
  auto init = make(NoisePattern::kXK, NoiseRole::kInitiator, a, b, 0xc3);
  auto resp = make(NoisePattern::kXK, NoiseRole::kResponder, b, a, 0xd4);

  std::vector<uint8_t> m1(kXkMsg1Size), m2(kXkMsg2Size), m3(kXkMsg3Size);
  ASSERT_TRUE(init.write_message(m1).ok());
  EXPECT_EQ(hex(m1), v["msg1"]);
  ASSERT_TRUE(resp.read_message(m1).ok());
  ASSERT_TRUE(resp.write_message(m2).ok());
  EXPECT_EQ(hex(m2), v["msg2"]);
  ASSERT_TRUE(init.read_message(m2).ok());
  ASSERT_TRUE(init.write_message(m3).ok());
  EXPECT_EQ(hex(m3), v["msg3"]);
  ASSERT_TRUE(resp.read_message(m3).ok());
  EXPECT_EQ(hex(init.handshake_hash()), v["handshakeHash"]);
  EXPECT_EQ(hex(resp.handshake_hash()), v["handshakeHash"]);
  EXPECT_EQ(*resp.remote_static(), a.compressed());
}

}  // namespace
}  // namespace fips
