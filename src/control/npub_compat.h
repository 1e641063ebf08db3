// npub decoding with the reference's acceptance rules and error texts
// (bech32 0.11 `decode`: bech32 or bech32m checksum, no length cap, padding
// bits ignored), for the control API's `invalid peer npub '...': <reason>`
// messages. Not here: our own identity codecs (identity/identity.h).
#pragma once

#include <string>
#include <string_view>

#include "identity/identity.h"
#include "util/result.h"

namespace fips {

// The peer identity for an npub, or the reference's IdentityError text:
//   "bech32 decoding error: parsing failed"
//   "bech32 decoding error: no valid bech32 or bech32m checksum"
//   "invalid npub: expected 'npub' prefix, got '<hrp>'"
//   "invalid npub: expected 32 bytes, got <n>"
//   "invalid secret key: malformed public key"   (x not on the curve)
[[nodiscard]] Result<PeerIdentity, std::string> decode_npub_compat(std::string_view npub);

}  // namespace fips
