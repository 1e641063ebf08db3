// Test-only frame manglers for the TypeScript FIPS node: they make every TS
// node in this process send frames with reserved flag bits set and trailing
// bytes appended, in the places where the reference ignores them, so the
// interop suite can check that our daemon still serves such a peer.
//
// Driven by install(opts), which replaces @fips/core's FmpLink.prototype.
// encryptOutgoing and FspSession.prototype.encryptDatagram with versions that
// build the same frames through @fips/core's own exported codecs but with
// the extra bits/bytes (the flags are part of the AEAD's associated data, so
// they must be set before sealing, not patched on the wire). Counters of what
// was mangled are returned so a test can check the manglers actually ran.
//
// Not here: anything that changes what a frame means (only reserved bits and
// ignorable trailing bytes are touched).
import { fips, importModule } from "./lib.mjs";

const { chacha20poly1305 } = await importModule("@noble/ciphers", "esm/chacha.js");

const T = fips.LinkMessageType;
const SESSION_DATAGRAM_FSP_OFFSET = fips.SESSION_DATAGRAM_HEADER_SIZE - 1; // payload excludes the type byte
const TRAILER = Uint8Array.of(0xee, 0xee, 0xee);

export function install({
  fmpFlags = 0xf8,          // FMP established flags bits 3-7: reserved
  fspFlags = 0xf0,          // FSP established flags bits 4-7: reserved (0x08 is TS's direct-FSP bit)
  sessionFlags = 0xf0,      // SessionSetup/SessionAck flag bits the reference ignores
  trailing = [T.TreeAnnounce, T.LookupRequest, T.LookupResponse, T.Disconnect, T.Heartbeat],
} = {}) {
  const counts = { fmp: 0, fsp: 0, setup: 0, ack: 0, trailing: {} };
  const trailingSet = new Set(trailing);

  fips.FmpLink.prototype.encryptOutgoing = function (payload, msgType = fips.FMP_INNER_DATA) {
    if (this.state !== "established" || !this.tx || this.remoteSessionIdx === undefined) {
      throw new Error("FMP link not established");
    }
    let body = payload;
    if (trailingSet.has(msgType)) {
      body = fips.concatBytes(payload, TRAILER);
      counts.trailing[msgType] = (counts.trailing[msgType] ?? 0) + 1;
    }
    if (msgType === T.SessionDatagram && body.length > SESSION_DATAGRAM_FSP_OFFSET + 4) {
      const fsp = SESSION_DATAGRAM_FSP_OFFSET;
      const phase = body[fsp] & 0x0f;
      if (phase === fips.FSP_PHASE_MSG1 || phase === fips.FSP_PHASE_MSG2) {
        body = new Uint8Array(body);
        body[fsp + 4] |= sessionFlags; // first body byte: the session flags
        counts[phase === fips.FSP_PHASE_MSG1 ? "setup" : "ack"]++;
      }
    }
    const counter = this.txCounter++;
    const inner = fips.encodeFmpInner({ timestamp: Math.floor(Date.now() / 1000), msgType, payload: body });
    const header = { flags: fmpFlags, receiverIdx: this.remoteSessionIdx, counter };
    const aad = fips.encodeFmpEstablishedHeader(header, inner.length);
    const ciphertext = chacha20poly1305(this.tx.getKey(), fips.noiseNonce(counter), aad).encrypt(inner);
    counts.fmp++;
    return fips.encodeFmpEstablished({ ...header, payloadLen: inner.length, ciphertext });
  };

  fips.FspSession.prototype.encryptDatagram = function (data, flags = 0) {
    if (this.state !== "established" || !this.tx) throw new Error("FSP not established");
    const counter = this.txCounter++;
    const inner = fips.encodeFspInner({
      timestamp: Math.floor(Date.now() / 1000),
      msgType: fips.FSP_MSG_DATA,
      innerFlags: 0,
      payload: fips.encodeDataPacket(data),
    });
    const f = flags | fspFlags;
    const aad = fips.encodeFspEstablishedHeader({ flags: f, counter }, inner.length);
    const ciphertext = chacha20poly1305(this.tx.getKey(), fips.noiseNonce(counter), aad).encrypt(inner);
    counts.fsp++;
    return fips.encodeFspEstablished({ flags: f, counter, payloadLen: inner.length, ciphertext });
  };
  return counts;
}
