// Links between our daemon and a TypeScript FIPS node (@fips/core 0.0.29):
// up in both directions, Disconnect in both directions, peer restart (new
// startup epoch) detected by ours.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { Harness, waitFor, freeUdpPort, fips, sleep } from "./lib.mjs";

const h = new Harness("link");
after(() => h.close());

test("TS dials ours; ours disconnects it", async () => {
  const a = await h.daemon("a");
  a.configure({ port: await freeUdpPort() });
  await a.start();
  const ts = await h.tsNode("ts");
  ts.dial(a);
  await waitFor(async () => ts.linkedTo(a.hex) && (await a.hasPeer(ts.npub)), 10_000,
    "the TS->ours link on both sides");
  const row = (await a.peers()).find((p) => p.npub === ts.npub);
  assert.equal(row.transport_type, "udp");

  // ours -> TS Disconnect: ours drops the peer at once. The TS node ignores
  // Disconnect (FipsRouting.ts lists it among "known unhandled" link messages)
  // and has no liveness timeout, so it keeps the link "established": pinned
  // here so a TS change shows up.
  const r = await a.ctlRaw(["disconnect", ts.npub]);
  assert.equal(r.code, 0, r.stderr);
  await waitFor(async () => !(await a.hasPeer(ts.npub)), 3000, "ours to drop the TS peer");
  await sleep(1500);
  assert.equal(ts.linkedTo(a.hex), true,
    "TS @fips/core 0.0.29 ignores Disconnect; if it now drops the link, update docs/STATUS.md");
  assert.ok(!ts.peerEvents.some((e) => e.state === "disconnected"));
});

test("ours dials TS from config; a TS Disconnect drops it promptly; TS silence by dead timeout", async () => {
  const ts = await h.tsNode("ts2");
  const b = await h.daemon("b");
  b.configure({
    port: await freeUdpPort(), peers: [{ npub: ts.npub, addr: ts.addr }],
    node: "  retry: { base_interval_secs: 1 }\n",
  });
  await b.start();
  await waitFor(async () => ts.linkedTo(b.hex) && (await b.hasPeer(ts.npub)), 10_000,
    "the ours->TS link on both sides");

  // @fips/core has no API that sends Disconnect (stop() just goes quiet), so
  // the test sends one through the TS node's own link and codec.
  const t0 = Date.now();
  await ts.sendLinkMessage(b.hex, fips.LinkMessageType.Disconnect,
    fips.encodeDisconnect({ reason: fips.DisconnectReason.Shutdown }).subarray(1));
  await waitFor(async () => !(await b.hasPeer(ts.npub)), 2000, "ours to drop the peer on Disconnect");
  assert.ok(Date.now() - t0 < 2000);
  await waitFor(() => b.liveLog().includes("disconnected (Shutdown)"), 2000, "ours to log Disconnect(Shutdown)");

  // Ours re-dials its configured peer; then the TS node stops without a word:
  // ours drops it by link_dead_timeout_secs (6 s in these configs), not later.
  await waitFor(async () => ts.linkedTo(b.hex) && (await b.hasPeer(ts.npub)), 10_000,
    "ours to re-dial the configured TS peer");
  const t1 = Date.now();
  await ts.stop();
  await waitFor(async () => !(await b.hasPeer(ts.npub)), 12_000, "ours to drop the silent TS peer");
  const took = Date.now() - t1;
  assert.ok(took >= 3000 && took < 12_000, `dropped after ${took} ms`);
});

test("a TS peer restarting with the same key (new epoch) is detected by ours", async () => {
  const a = await h.daemon("c");
  a.configure({ port: await freeUdpPort() });
  await a.start();
  const ts1 = await h.tsNode("ts3");
  ts1.serveEcho();
  ts1.dial(a);
  await waitFor(async () => ts1.linkedTo(a.hex) && (await a.hasPeer(ts1.npub)), 10_000, "first link");
  let p = await a.ping(ts1.npub, 3);
  assert.equal(p.received, 3, p.out);

  const port = ts1.port;
  await ts1.stop();
  const ts2 = await h.tsNode("ts3b", { identity: ts1.identity, port });
  ts2.serveEcho();
  ts2.dial(a);
  await waitFor(async () => ts2.linkedTo(a.hex), 10_000, "the restarted TS node to link again");
  await waitFor(() => /peer \S+ restarted/.test(a.liveLog()), 5000, "ours to log the peer restart");
  assert.ok(await a.hasPeer(ts2.npub));
  // The old FSP session is gone with the old epoch; a new one works.
  p = await a.ping(ts2.npub, 3);
  assert.equal(p.received, 3, p.out);
});

// Link MMP: ours sends SenderReports and ReceiverReports the TS node does not
// understand (it sends none). The link stays up, and ours keeps the cold-start
// metrics for the TS peer, as the reference does for a peer without reports:
// no SRTT, ratios 1.0, ETX 1.0, loss 0.
test("link MMP against a TS peer that sends no reports: link stays up, metrics stay cold", async () => {
  const a = await h.daemon("mmp");
  a.configure({ port: await freeUdpPort() });
  await a.start();
  const ts = await h.tsNode("ts-mmp");
  ts.serveEcho();
  ts.dial(a);
  await waitFor(async () => ts.linkedTo(a.hex) && (await a.hasPeer(ts.npub)), 10_000, "the link");
  const p = await a.ping(ts.npub, 5);  // traffic both ways, so reports have something to say
  assert.equal(p.received, 5, p.out);
  await sleep(4000);  // several 1 s report ticks
  assert.ok(ts.linkedTo(a.hex) && (await a.hasPeer(ts.npub)), "link dropped while reports flowed");
  const peer = (await a.peers()).find((r) => r.npub === ts.npub);
  const mmp = await a.ctl("show", "mmp");
  const row = mmp.peers.find((r) => r.peer === peer.node_addr);
  assert.ok(row, JSON.stringify(mmp));
  assert.equal(row.mode, "full");
  const l = row.link_layer;
  assert.equal(l.srtt_ms, undefined, JSON.stringify(l));
  assert.equal(l.etx, 1.0);
  assert.equal(l.loss_rate, 0.0);
  assert.equal(l.delivery_ratio_forward, 1.0);
  assert.equal(l.delivery_ratio_reverse, 1.0);
  assert.equal(l.spin_bit_role, "responder");
  assert.equal(peer.mmp.etx, 1.0);
  assert.equal(peer.mmp.srtt_ms, undefined);
  const link = (await a.ctl("stats", "metrics")).link;
  assert.ok(link.mmp_reports_sent >= 4, JSON.stringify(link));
  assert.equal(link.mmp_receiver_reports_received, 0);
  assert.equal(link.malformed_message, 0);
  const again = await a.ping(ts.npub, 3);
  assert.equal(again.received, 3, again.out);
});
