// Our daemon under bad-input floods on loopback while a TypeScript FIPS peer
// keeps its session: random garbage datagrams and msg1-shaped junk (right
// phase and length, random Noise bytes) to ours' UDP port, bounded in count
// and time, while fipsctl ping to the TS node keeps succeeding.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { randomBytes } from "node:crypto";
import { Harness, waitFor, freeUdpPort, fips, sleep } from "./lib.mjs";

const h = new Harness("flood");
after(() => h.close());

/** Sends up to `count` junk datagrams to port within `ms`, in bursts; returns how many went. */
async function flood(port, count, ms, make) {
  const s = dgram.createSocket("udp4");
  await new Promise((r) => s.bind(0, "127.0.0.1", r));
  const deadline = Date.now() + ms;
  let sent = 0;
  try {
    while (sent < count && Date.now() < deadline) {
      const burst = [];
      for (let i = 0; i < 200 && sent < count; i++, sent++) {
        burst.push(new Promise((r) => s.send(make(sent), port, "127.0.0.1", () => r())));
      }
      await Promise.all(burst);
      await sleep(2);
    }
  } finally {
    await new Promise((r) => s.close(r));
  }
  return sent;
}

// Up to the transport MTU: ours reads into 1380-byte buffers and drops longer
// datagrams as truncated (counted in its UDP transport's stats, which no
// control command shows yet), so the accounting below stays within the MTU.
const garbage = () => randomBytes(1 + Math.floor(Math.random() * 1280));
function msg1Junk() {
  // A msg1-shaped datagram: ver 0 / phase 1, flags 0, the right payload length.
  const b = randomBytes(fips.FMP_MSG1_TOTAL_LEN);
  b[0] = fips.FMP_PHASE_MSG1;
  b[1] = 0;
  b.writeUInt16LE(fips.FMP_MSG1_TOTAL_LEN - 4, 2);
  return b;
}
function establishedJunk() {
  // Phase-0 frames with random receiver index, counter and ciphertext.
  const b = randomBytes(64 + Math.floor(Math.random() * 200));
  b[0] = 0;
  b[1] = 0;
  b.writeUInt16LE(b.length - 16 - 16, 2);
  return b;
}

// Link counters that count events, not drops (the rest are drop reasons).
const NOT_DROPS = /bytes|frames|_completed$|_expired$|disconnects|peers_removed|_sent$|_received$/;
async function dropSnapshot(d) {
  const link = (await d.ctl("stats", "metrics")).link;
  const t = (await d.ctl("show", "transports")).transports;
  const drops = Object.entries(link).filter(([k]) => !NOT_DROPS.test(k));
  return {
    drops: drops.reduce((x, [, v]) => x + v, 0),
    nonzero: Object.fromEntries(drops.filter(([, v]) => v > 0)),
    kernel: t.reduce((x, tr) => x + (tr.stats?.kernel_drops ?? 0), 0),
  };
}

test("garbage, msg1-shaped and established-shaped floods do not break a TS session", async () => {
  const a = await h.daemon("a");
  a.configure({ port: await freeUdpPort() });
  await a.start();
  const ts = await h.tsNode("ts");
  ts.serveEcho();
  ts.dial(a);
  await waitFor(async () => ts.linkedTo(a.hex) && (await a.hasPeer(ts.npub)), 10_000, "the link");
  let p = await a.ping(ts.npub, 5, 0);
  assert.equal(p.received, 5, p.out);
  const before = await dropSnapshot(a);

  const started = Date.now();
  const floods = Promise.all([
    flood(a.port, 20_000, 8000, garbage),
    flood(a.port, 20_000, 8000, msg1Junk),
    flood(a.port, 10_000, 8000, establishedJunk),
  ]);
  p = await a.ping(ts.npub, 100, 0.02);
  const sent = await floods;
  const replies = await ts.echoClient(a.hex, 50);
  assert.equal(p.received, 100, `${p.out}\n${h.logs()}`);
  assert.equal(replies, 50);
  assert.ok(sent.reduce((x, y) => x + y, 0) > 1000, `only ${sent} junk datagrams went out`);
  assert.ok(Date.now() - started < 30_000);
  assert.ok(await a.hasPeer(ts.npub));
  // Every junk datagram lands in exactly one of ours' link drop counters
  // (less any the kernel dropped before ours read them).
  const after = await dropSnapshot(a);
  const junk = sent.reduce((x, y) => x + y, 0);
  const counted = after.drops - before.drops;
  const kernel = after.kernel - before.kernel;
  console.log(`# junk sent ${sent.join("/")}, counted as link drops ${counted}, kernel drops ${kernel}: ${
    JSON.stringify(after.nonzero)}`);
  assert.ok(counted <= junk && counted >= junk - kernel, `${junk} junk datagrams, ${counted} counted, ${kernel} kernel drops`);
  assert.equal(a.proc.exitCode, null, "the daemon is still running");
});
