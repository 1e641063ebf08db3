// Routed sessions across implementations on the line TS - ours A - ours B:
// a session that starts at the TS node and crosses A to B, and the reverse,
// B -> A -> TS. The TS node sends no FilterAnnounce (its README), so B
// cannot look it up (pinned below as an expected failure); once the TS node
// has opened a session to B, B answers over it.
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { Harness, waitFor, freeUdpPort } from "./lib.mjs";

const h = new Harness("routed");
let a, b, ts;
before(async () => {
  a = await h.daemon("a");
  b = await h.daemon("b");
  const pa = await freeUdpPort();
  const pb = await freeUdpPort();
  b.configure({ port: pb });
  a.configure({ port: pa, peers: [{ npub: b.npub, addr: `127.0.0.1:${pb}` }] });
  await b.start();
  await a.start();
  await waitFor(async () => (await a.hasPeer(b.npub)) && (await b.hasPeer(a.npub)), 10_000, "A-B link");
  ts = await h.tsNode("ts");
  ts.serveEcho();
  ts.dial(a);
  await waitFor(async () => ts.linkedTo(a.hex) && (await a.hasPeer(ts.npub)), 10_000, "TS-A link");
});
after(() => h.close());

test("B -> A -> TS before any contact fails: the TS node is in no bloom filter (expected)", async () => {
  // B must look TS up. The reference forwards a LookupRequest only towards
  // peers whose filter holds the target, and a node's outgoing filter holds
  // itself, its leaf dependents and its peers' inbound filters (reference
  // src/proto/bloom/state.rs, compute_outgoing_filter). The TS node sends no
  // FilterAnnounce, so A's filter to B lacks it and B has nowhere to send the
  // lookup. Reference nodes in B's place fail the same way.
  const p = await b.ping(ts.npub, 1, 0);
  assert.equal(p.received, 0, `B reached TS: if @fips/core now announces filters, update docs/STATUS.md\n${p.out}`);
  const m = await b.ctl("stats", "metrics");
  assert.ok(m.lookup.req_bloom_miss > 0, JSON.stringify(m.lookup));
  assert.equal(m.lookup.req_forwarded, 0);
});

test("TS -> A -> B: TS looks B up through A and talks to B's echo service", async () => {
  // The TS node's first-contact lookup goes to A, which forwards it to B
  // (B is in A's bloom filter); the answer gives TS B's coordinates.
  const replies = await waitFor(async () => {
    const n = await ts.echoClient(b.hex, 1, { perReplyMs: 4000 });
    return n === 1 ? n : 0;
  }, 30_000, "the first routed echo from TS to B");
  assert.equal(replies, 1);
  const n = await ts.echoClient(b.hex, 100);
  assert.equal(n, 100, `${ts.errors.slice(-5).join("\n")}\n${h.logs()}`);
  // B answers over the same session: it learned TS's coordinates from the setup.
  const p = await b.ping(ts.npub, 20, 0);
  assert.equal(p.received, 20, p.out);
});
