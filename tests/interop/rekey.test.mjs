// Session (FSP) and link (FMP) rekey across implementations. Ours rekeys
// after node.rekey.after_messages (40 here) sent messages, on the session and
// on the link; traffic keeps flowing across every cutover with nothing lost.
// Rekey triggers are checked on ours' 1 s tick, so the traffic is paced (20 ms
// between round trips, about 3 s per direction) to span several ticks.
//
// Only ours initiates: @fips/core 0.0.29 has no rekey trigger at all. Its
// FspSessionManager answers a SessionSetup that arrives on an established
// session (a pending responder promoted when the peer's K bit flips) but never
// sends one for an established session, and its FmpLink has no K bit (every
// frame goes out with flags 0; a fresh msg1 on an established link is staged
// as a replacement link). So "TS initiates a rekey" cannot be tested.
//
// A TS bug decides the rest: when the TS node learned our key from an npub
// (it dialed us, or it opened the session), it holds the even-parity form
// 02||x; our rekey msg1 (FMP) and msg3 (FSP) carry our real compressed key,
// as the reference's do (src/noise/handshake.rs: "the keys sent in handshake
// messages ... use actual parity"). @fips/core compares the 33-byte forms, so
// for a key starting 03 it refuses the rekey ("fresh FMP Msg1 changed the
// authenticated peer identity", FmpTransportPacketProcessor.ts;
// "FSP rekey changed the authenticated remote identity", FspSessionManager.ts).
// A Rust reference node with an odd-parity key meets the same refusal. The
// tests therefore pick our key's parity: even keys rekey both ways; odd keys
// pin the TS refusal and check that ours keeps the link and session working.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { Harness, waitFor, freeUdpPort } from "./lib.mjs";

const h = new Harness("rekey");
after(() => h.close());

const REKEY = "  rekey: { after_messages: 40 }\n";

async function metrics(d) {
  const m = await d.ctl("stats", "metrics");
  return { fsp: m.fsp?.rekey_cutovers ?? -1, link: m.link?.rekeys_completed ?? -1 };
}

async function linkedPair(name, oursDials, parity) {
  const ts = await h.tsNode(`ts-${name}`);
  ts.serveEcho();
  const d = await h.daemon(name, { parity });
  d.configure({
    port: await freeUdpPort(), node: REKEY,
    peers: oursDials ? [{ npub: ts.npub, addr: ts.addr }] : [],
  });
  await d.start();
  if (!oursDials) ts.dial(d);
  await waitFor(async () => ts.linkedTo(d.hex) && (await d.hasPeer(ts.npub)), 10_000, "the link");
  return { ts, d };
}

const why = (ts, d) => `TS errors: ${ts.errors.slice(-4).join(" | ")}\n${d.liveLog().split("\n").slice(-15).join("\n")}`;

test("TS dials, ours opens the session (even key): both rekeys, lossless", async () => {
  const { ts, d } = await linkedPair("a", false, "even");
  const p = await d.ping(ts.npub, 150, 0.02);
  assert.equal(p.received, 150, `${p.out}\n${why(ts, d)}`);
  const replies = await ts.echoClient(d.hex, 100, { gapMs: 20 });
  assert.equal(replies, 100, why(ts, d));
  const m = await metrics(d);
  assert.ok(m.fsp >= 2, `FSP rekey cutovers ${m.fsp}\n${why(ts, d)}`);
  assert.ok(m.link >= 2, `FMP link rekeys ${m.link}\n${why(ts, d)}`);
  assert.deepEqual(ts.errors, []);
});

test("ours dials, TS opens the session (even key): both rekeys, lossless", async () => {
  const { ts, d } = await linkedPair("b", true, "even");
  const replies = await ts.echoClient(d.hex, 150, { gapMs: 20 });
  assert.equal(replies, 150, why(ts, d));
  const p = await d.ping(ts.npub, 100, 0.02);
  assert.equal(p.received, 100, `${p.out}\n${why(ts, d)}`);
  const m = await metrics(d);
  assert.ok(m.fsp >= 2, `FSP rekey cutovers ${m.fsp}\n${why(ts, d)}`);
  assert.ok(m.link >= 2, `FMP link rekeys ${m.link}\n${why(ts, d)}`);
  assert.deepEqual(ts.errors, []);
});

test("ours dials, ours opens the session (odd key): TS learned the real key, both rekeys work", async () => {
  const { ts, d } = await linkedPair("c", true, "odd");
  const p = await d.ping(ts.npub, 150, 0.02);
  assert.equal(p.received, 150, `${p.out}\n${why(ts, d)}`);
  const replies = await ts.echoClient(d.hex, 100, { gapMs: 20 });
  assert.equal(replies, 100, why(ts, d));
  const m = await metrics(d);
  assert.ok(m.fsp >= 2, `FSP rekey cutovers ${m.fsp}\n${why(ts, d)}`);
  assert.ok(m.link >= 2, `FMP link rekeys ${m.link}\n${why(ts, d)}`);
});

test("TS dials, TS opens the session (odd key): TS refuses our rekeys (TS bug), traffic survives", async () => {
  const { ts, d } = await linkedPair("d", false, "odd");
  const replies = await ts.echoClient(d.hex, 150, { gapMs: 20 });
  const p = await d.ping(ts.npub, 100, 0.02);
  const m = await metrics(d);
  console.log(`# odd-key TS-initiated: replies ${replies}/150 pings ${p.received}/100 metrics ${JSON.stringify(m)}`);
  console.log(`# TS errors: ${[...new Set(ts.errors)].join(" | ")}`);
  assert.ok(ts.errors.some((e) => e.includes("fresh FMP Msg1 changed the authenticated peer identity")),
    `expected the TS link-rekey refusal; if @fips/core fixed it, update this test and docs/STATUS.md\n${why(ts, d)}`);
  // The FMP refusal holds: ours' rekey msg1 goes unanswered, ours abandons it
  // and keeps the current link keys.
  assert.equal(m.link, 0);
  // The FSP refusal does not: @fips/core throws after it has completed the
  // pending responder handshake, and promotes it anyway when our first frame
  // with the flipped K bit arrives, so the session rekey still cuts over.
  assert.ok(m.fsp >= 1, `FSP rekey cutovers ${m.fsp}`);
  assert.equal(replies, 150, why(ts, d));
  assert.equal(p.received, 100, `${p.out}\n${why(ts, d)}`);
});
