// A TypeScript FIPS peer sending frames with reserved flag bits set and
// trailing bytes appended where the reference ignores them (mangle.mjs: FMP
// established flags, FSP established flags, SessionSetup/SessionAck flags,
// trailing bytes on TreeAnnounce, LookupRequest/Response, Disconnect,
// Heartbeat) is still served by ours: the link stays up and sessions work
// both ways.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { Harness, waitFor, freeUdpPort, fips, sleep } from "./lib.mjs";
import { install } from "./mangle.mjs";

const counts = install();
const h = new Harness("mangle");
after(() => h.close());

test("ours serves a TS peer whose frames carry reserved bits and trailing bytes", async () => {
  const a = await h.daemon("a");
  a.configure({ port: await freeUdpPort() });
  await a.start();
  const ts = await h.tsNode("ts");
  ts.serveEcho();
  ts.dial(a);
  await waitFor(async () => ts.linkedTo(a.hex) && (await a.hasPeer(ts.npub)), 10_000, "the link");

  // TS as session initiator: its SessionSetup carries the extra flag bits.
  const replies = await ts.echoClient(a.hex, 50);
  assert.equal(replies, 50, `${ts.errors.slice(-5).join("\n")}\n${h.logs()}`);
  // Ours as initiator on a second node pair below; here ours pings back over
  // the same session (TS's FSP data frames carry reserved bits).
  const p = await a.ping(ts.npub, 50, 0);
  assert.equal(p.received, 50, p.out);

  // Heartbeats (with trailing bytes) keep the link alive past the dead timeout.
  await sleep(7000);
  assert.ok(await a.hasPeer(ts.npub), "the link survived heartbeats with trailing bytes");

  assert.ok(counts.fmp > 0 && counts.fsp > 0 && counts.setup > 0, JSON.stringify(counts));
  assert.ok(counts.trailing[fips.LinkMessageType.TreeAnnounce] > 0, "a TreeAnnounce was mangled");
  assert.ok(counts.trailing[fips.LinkMessageType.Heartbeat] > 0, "a Heartbeat was mangled");
});

test("ours as session initiator to a mangling TS peer (its SessionAck carries extra flag bits)", async () => {
  const ts = await h.tsNode("ts2");
  ts.serveEcho();
  const b = await h.daemon("b");
  b.configure({ port: await freeUdpPort(), peers: [{ npub: ts.npub, addr: ts.addr }] });
  await b.start();
  await waitFor(async () => ts.linkedTo(b.hex) && (await b.hasPeer(ts.npub)), 10_000, "the link");
  const acks = counts.ack;
  const p = await b.ping(ts.npub, 50, 0);
  assert.equal(p.received, 50, `${p.out}\n${h.logs()}`);
  assert.ok(counts.ack > acks, "the TS SessionAck was mangled");

  // A Disconnect with trailing bytes is honoured.
  await ts.sendLinkMessage(b.hex, fips.LinkMessageType.Disconnect,
    fips.encodeDisconnect({ reason: fips.DisconnectReason.Shutdown }).subarray(1));
  await waitFor(async () => !(await b.hasPeer(ts.npub)), 2000, "ours to honour the padded Disconnect");
});

test("a mangling TS node's LookupRequest (trailing bytes) is forwarded by ours: TS -> A -> B", async () => {
  const a = await h.daemon("ra");
  const b = await h.daemon("rb");
  const pa = await freeUdpPort();
  const pb = await freeUdpPort();
  b.configure({ port: pb });
  a.configure({ port: pa, peers: [{ npub: b.npub, addr: `127.0.0.1:${pb}` }] });
  await b.start();
  await a.start();
  await waitFor(async () => (await a.hasPeer(b.npub)) && (await b.hasPeer(a.npub)), 10_000, "A-B link");
  const ts = await h.tsNode("ts3");
  ts.dial(a);
  await waitFor(async () => ts.linkedTo(a.hex) && (await a.hasPeer(ts.npub)), 10_000, "TS-A link");
  const before = counts.trailing[fips.LinkMessageType.LookupRequest] ?? 0;
  await waitFor(async () => (await ts.echoClient(b.hex, 1, { perReplyMs: 4000 })) === 1, 30_000,
    "the first routed echo from TS to B");
  assert.ok((counts.trailing[fips.LinkMessageType.LookupRequest] ?? 0) > before, "the LookupRequest was padded");
  const n = await ts.echoClient(b.hex, 30);
  assert.equal(n, 30);
  const m = await a.ctl("stats", "metrics");
  assert.ok(m.lookup.req_forwarded > 0, JSON.stringify(m.lookup));
});
