// End-to-end FSP sessions between our daemon and an adjacent TypeScript FIPS
// node, both directions, data both ways on FSP service ports: ours pings the
// TS node's echo service (port 7, our echo format: 'P'... answered 'R'...) and
// a TS client sends 100 requests to our echo service. None may be lost.
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { Harness, waitFor, freeUdpPort } from "./lib.mjs";

const h = new Harness("session");
let a, ts;
before(async () => {
  a = await h.daemon("a");
  a.configure({ port: await freeUdpPort() });
  await a.start();
  ts = await h.tsNode("ts");
  ts.serveEcho();
  ts.dial(a);
  await waitFor(async () => ts.linkedTo(a.hex) && (await a.hasPeer(ts.npub)), 10_000, "the link");
});
after(() => h.close());

test("ours -> TS: fipsctl ping -c 100 against the TS echo service", async () => {
  const p = await a.ping(ts.npub, 100, 0);
  assert.equal(p.received, 100, `${p.out}\n${ts.errors.slice(-5).join("\n")}\n${h.logs()}`);
  const s = (await a.sessions()).find((x) => x.npub === ts.npub);
  assert.ok(s, "ours lists the session");
});

test("TS -> ours: 100 datagrams to our echo service, 100 replies", async () => {
  const replies = await ts.echoClient(a.hex, 100);
  assert.equal(replies, 100, ts.errors.slice(-5).join("\n"));
});

test("TS-initiated session to a fresh daemon (TS is the FSP initiator)", async () => {
  const b = await h.daemon("b");
  b.configure({ port: await freeUdpPort() });
  await b.start();
  ts.dial(b);
  await waitFor(async () => ts.linkedTo(b.hex) && (await b.hasPeer(ts.npub)), 10_000, "the link to b");
  const replies = await ts.echoClient(b.hex, 100);
  assert.equal(replies, 100, ts.errors.slice(-5).join("\n"));
  // ...and ours answers over the same session the other way.
  const p = await b.ping(ts.npub, 20, 0);
  assert.equal(p.received, 20, p.out);
});

// A probe only uses lookups, the FSP handshake, a CoordsWarmup and session
// MMP: the TS node answers all but the last (it sends no session reports and
// ignores ours), so the rtt stage fails `no_report` and nothing else breaks.
test("fipsctl probe of the TS node: rtt no_report, session and echo unharmed", async () => {
  const r = await a.ctlRaw(["probe", "--json", ts.npub], 60_000);
  const rep = JSON.parse(r.stdout);
  assert.equal(rep.overall, "partial", r.stdout + r.stderr);
  assert.equal(rep.bloom.verdict, "skipped");  // cached coordinates or a direct peer: no lookup
  assert.equal(rep.session.verdict, "skipped");  // the ping session is there
  assert.equal(rep.session.established, true);
  assert.equal(rep.rtt.verdict, "failed");
  assert.equal(rep.rtt.reason, "no_report");
  assert.equal(rep.cleanup.left_intact_reason, "preexisting");
  const p = await a.ping(ts.npub, 10, 0);
  assert.equal(p.received, 10, p.out);
});
