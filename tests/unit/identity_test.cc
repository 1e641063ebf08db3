// Identity encodings and their precise errors.
#include "identity/identity.h"
#include "test_util.h"

namespace fips {
namespace {

const char* kNpub1 = "npub1rwzv24nmzfjypx2a8m264ws9vht3uxp5vpypnluuzl67n4waq78suk0wul";

TEST(Identity, NpubErrors) {
  // Bad checksum: change the last character.
  std::string bad = kNpub1;
  bad.back() = bad.back() == 'l' ? 'q' : 'l';
  auto r = PeerIdentity::from_npub(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, IdentityErr::kBech32);
  EXPECT_EQ(r.error().bech32, Bech32Err::kBadChecksum);
  EXPECT_EQ(r.error().message(), "invalid npub: bad checksum");

  // Wrong prefix: a valid nsec given as an npub.
  Identity id = Identity::generate();
  r = PeerIdentity::from_npub(id.nsec());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, IdentityErr::kWrongPrefix);
  EXPECT_EQ(r.error().message(), "wrong prefix: expected npub, got nsec");

  // Wrong length: 31 bytes under the npub prefix.
  std::vector<uint8_t> short_key(31, 7);
  r = PeerIdentity::from_npub(bech32_encode("npub", short_key));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, IdentityErr::kWrongLength);
  EXPECT_EQ(r.error().message(), "wrong length: expected 32 bytes, got 31");

  // 32 bytes that are not an x coordinate on the curve (x = 0 is not).
  std::vector<uint8_t> zero(32, 0);
  r = PeerIdentity::from_npub(bech32_encode("npub", zero));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, IdentityErr::kInvalidKey);
}

TEST(Identity, SecretErrors) {
  auto r = Identity::from_secret_str(kNpub1);  // an npub is not a secret
  ASSERT_FALSE(r.ok());
  r = Identity::from_secret_str(std::string(64, 'z'));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, IdentityErr::kBadHex);
  r = Identity::from_secret_str(std::string(62, 'a'));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, IdentityErr::kWrongLength);
  r = Identity::from_secret_str(std::string(64, '0'));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, IdentityErr::kInvalidKey);
  auto nsec_prefixed_npub = Identity::from_secret_str("nsec1" + std::string(kNpub1).substr(5));
  ASSERT_FALSE(nsec_prefixed_npub.ok());
  EXPECT_EQ(nsec_prefixed_npub.error().code, IdentityErr::kBech32);
}

TEST(Identity, HexAndParityForms) {
  Identity id = Identity::generate();
  auto from_x = PeerIdentity::parse(test::hex(id.xonly()));
  auto from_c = PeerIdentity::parse(test::hex(id.compressed()));
  ASSERT_TRUE(from_x.ok() && from_c.ok());
  EXPECT_EQ(from_x->node_addr(), id.node_addr());
  EXPECT_EQ(from_c->node_addr(), id.node_addr());
  EXPECT_EQ(from_x->compressed()[0], 0x02);  // even lift until a handshake says otherwise
  EXPECT_EQ(from_c->compressed(), id.compressed());
  EXPECT_EQ(*from_x, *from_c);  // identity is the x-only key
  EXPECT_EQ(from_x->address().bytes[0], 0xfd);
}

TEST(Identity, SignAndVerify) {
  Identity id = Identity::generate();
  const uint8_t msg[] = {1, 2, 3, 4};
  SchnorrSig sig = id.sign(msg);
  EXPECT_TRUE(id.as_peer().verify(msg, sig));
  const uint8_t other[] = {1, 2, 3, 5};
  EXPECT_FALSE(id.as_peer().verify(other, sig));
}

RC_GTEST_PROP(IdentityProp, NsecNpubRoundTrip, ()) {
  Identity id = Identity::generate();
  auto back = Identity::from_secret_str(id.nsec());
  RC_ASSERT(back.ok());
  RC_ASSERT(back->npub() == id.npub());
  auto peer = PeerIdentity::from_npub(id.npub());
  RC_ASSERT(peer.ok());
  RC_ASSERT(peer->node_addr() == id.node_addr());
}

}  // namespace
}  // namespace fips
