// Harness for the cross-implementation interop suite: our daemon (apps/fips,
// driven through fipsctl and its control socket) next to TypeScript FIPS nodes
// (@fips/core, installed by scripts/run-interop.sh into build/interop, never
// into the repository) on loopback UDP.
//
// Driven by the scenario files (*.test.mjs) under `node --test`: each scenario
// makes a Harness, starts daemons and TS nodes through it, and calls
// harness.close() in an `after` hook, which stops every TS node, kills every
// daemon (SIGTERM, then SIGKILL) and removes the scratch directory under /tmp.
// Every wait is bounded (waitFor).
//
// Not here: the UDP transport for the TS node (udp_transport.mjs) and the
// test-only frame manglers (mangle.mjs).
import { spawn, execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import dgram from "node:dgram";

import { UdpTransport } from "./udp_transport.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const BIN = process.env.FIPS_BIN_DIR ?? join(ROOT, "build/release/apps");
export const MODULES = process.env.FIPS_INTEROP_MODULES ?? join(ROOT, "build/interop/node_modules");

/** Imports a package from the scratch install (build/interop/node_modules). */
export async function importModule(spec, entry) {
  return import(pathToFileURL(join(MODULES, spec, entry)).href);
}

export const fips = await importModule("@fips/core", "dist/index.js");

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls fn (sync or async) until it returns a truthy value or timeoutMs passes. */
export async function waitFor(fn, timeoutMs, what, stepMs = 50) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}` +
        (last instanceof Error ? ` (last error: ${last.message})` : ""));
    }
    await sleep(stepMs);
  }
}

/** Rejects if promise has not settled within ms. */
export function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, rej) => { timer = setTimeout(() => rej(new Error(`${what}: no result in ${ms} ms`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

/** A free loopback UDP port (bound, read, closed). */
export async function freeUdpPort() {
  const s = dgram.createSocket("udp4");
  await new Promise((r) => s.bind(0, "127.0.0.1", r));
  const port = s.address().port;
  await new Promise((r) => s.close(r));
  return port;
}

function run(file, args, timeoutMs) {
  return new Promise((res) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 8 << 20 }, (err, stdout, stderr) => {
      res({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

/** Hex of the compressed (02-prefixed) key for an npub, the TS API's peer id. */
export function hexOfNpub(npub) {
  return fips.toHex(fips.compressedPubkeyFromXOnly(fips.decodeNpub(npub)));
}

export class Daemon {
  constructor(h, name) {
    this.h = h;
    this.name = name;
    this.dir = join(h.work, name);
    this.sock = join(this.dir, "control.sock");
    this.proc = undefined;
  }

  get logFile() { return join(this.dir, "log"); }
  log() { return existsSync(this.logFile) ? readFileSync(this.logFile, "utf8") : ""; }

  /** Writes fips.yaml; extra is YAML appended under the top level. */
  configure({ port, peers = [], node = "", extra = "" }) {
    this.port = port;
    const peerYaml = peers.map((p) =>
      `  - npub: "${p.npub}"\n    addresses: [ { transport: udp, addr: "${p.addr}" } ]\n`).join("");
    writeFileSync(join(this.dir, "fips.yaml"),
      `node:\n  identity: { persistent: true }\n  control: { socket_path: "${this.sock}" }\n` +
      `  heartbeat_interval_secs: 1\n  link_dead_timeout_secs: 6\n${node}` +
      `transports: { udp: { bind_addr: "127.0.0.1:${port}" } }\n` +
      `dns: { enabled: false }\n` +
      (peers.length ? `peers:\n${peerYaml}` : "") + extra);
  }

  start() {
    this.proc = spawn(join(BIN, "fips"), ["-c", join(this.dir, "fips.yaml")], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.exited = new Promise((r) => this.proc.on("exit", (code, sig) => r({ code, sig })));
    const out = [];
    const sink = (d) => out.push(d);
    this.proc.stdout.on("data", sink);
    this.proc.stderr.on("data", sink);
    this.proc.on("exit", () => writeFileSync(this.logFile, Buffer.concat(out)));
    this._out = out;
    return waitFor(() => existsSync(this.sock), 10_000, `${this.name}'s control socket`);
  }

  liveLog() { return Buffer.concat(this._out ?? []).toString("utf8"); }

  async stop(signal = "SIGTERM") {
    if (!this.proc || this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.proc.kill(signal);
    const t = setTimeout(() => this.proc.kill("SIGKILL"), 3000);
    await this.exited;
    clearTimeout(t);
  }

  /** fipsctl -s SOCK args...; resolves {code, stdout, stderr}. */
  ctlRaw(args, timeoutMs = 10_000) {
    return run(join(BIN, "fipsctl"), ["-s", this.sock, ...args], timeoutMs);
  }

  /** fipsctl returning parsed JSON (show ...); throws on failure. */
  async ctl(...args) {
    const r = await this.ctlRaw(args);
    if (r.code !== 0) throw new Error(`fipsctl ${args.join(" ")}: ${r.stderr || r.stdout}`);
    return JSON.parse(r.stdout);
  }

  async peers() { return (await this.ctl("show", "peers")).peers; }
  async hasPeer(npub) { return (await this.peers()).some((p) => p.npub === npub); }
  async sessions() { return (await this.ctl("show", "sessions")).sessions ?? []; }
  async status() { return this.ctl("show", "status"); }

  /**
   * fipsctl ping -c count -i interval npub; resolves {sent, received, out}.
   * fipsctl is killed after capMs (a failing session costs 4.5 s per ping),
   * which then reports what it printed so far (received 0 if no summary).
   */
  async ping(npub, count, interval = 0.01, capMs = 30_000) {
    const r = await this.ctlRaw(["ping", "-c", String(count), "-i", String(interval), npub],
      Math.min(count * (interval * 1000 + 5000) + 5000, capMs));
    const m = /(\d+) transmitted, (\d+) received/.exec(r.stdout);
    return { sent: m ? +m[1] : 0, received: m ? +m[2] : 0, out: r.stdout + r.stderr };
  }
}

/** A TS FIPS node (unmodified @fips/core FipsNode) on a UdpTransport. */
export class TsNode {
  constructor(h, name, opts = {}) {
    this.h = h;
    this.name = name;
    this.identity = opts.identity;
    this.npub = fips.encodeNpub(this.identity.xOnlyPubkey);
    this.hex = fips.toHex(this.identity.publicKey);
    this.transport = new UdpTransport({ port: opts.port ?? 0 });
    this.errors = [];
    this.peerEvents = [];
    this.node = new fips.FipsNode({
      identity: this.identity,
      transports: [this.transport],
      forwarding: opts.forwarding,
    });
    this.node.on("error", (e) => this.errors.push(`${e.where}: ${e.err?.message}`));
    this.node.on("peer", (e) => this.peerEvents.push(e));
  }

  async start() {
    await this.node.start();
    this.port = this.transport.port;
    this.addr = `127.0.0.1:${this.port}`;
  }

  async stop() { await this.node.stop(); }

  /** Dial a daemon: yields it from discover() with its x-only key. */
  dial(daemon) {
    this.transport.addDiscovered(`127.0.0.1:${daemon.port}`, fips.decodeNpub(daemon.npub));
  }

  /** The TS node's adjacent-peer record for a key (compared x-only: npubs carry no parity). */
  peerFor(hex) {
    for (const p of this.node.peersByPubkey.values()) if (p.pubkeyHex?.slice(2) === hex.slice(2)) return p;
    return undefined;
  }

  /** Whether the TS node has an established link to hex (compressed key hex). */
  linkedTo(hex) {
    return this.peerFor(hex)?.link.state === "established";
  }

  /** Encrypts and sends one link message (type byte + payload) to an adjacent peer. */
  async sendLinkMessage(hex, msgType, payload) {
    const peer = this.peerFor(hex);
    if (!peer || peer.link.state !== "established") throw new Error(`${this.name}: no link to ${hex}`);
    await this.node.sendLinkMessage(peer, msgType, payload);
  }

  /** An echo service on FSP port 7 answering like ours ('P...' -> 'R...'). */
  serveEcho(port = 7) {
    this.node.registerService(port, async (ctx) => {
      if (ctx.payload.length === 0 || ctx.payload[0] !== 0x50 /* 'P' */ || ctx.srcPort === port) return;
      const reply = new Uint8Array(ctx.payload);
      reply[0] = 0x52; // 'R'
      await ctx.reply(reply);
    });
  }

  /**
   * Sends count echo requests to daemon's echo service (FSP port 7) from
   * srcPort, one at a time (each waits up to perReplyMs for its reply, then
   * gapMs more; it gives up after maxMisses unanswered requests in a row);
   * returns the number of replies matched by sequence number.
   */
  async echoClient(dstHex, count,
    { srcPort = 4242, perReplyMs = 3000, payloadLen = 56, gapMs = 0, maxMisses = 3 } = {}) {
    const waiting = new Map();
    const off = this.node.on("datagram", (e) => {
      if (e.dstPort !== srcPort || e.srcPort !== 7 || e.payload[0] !== 0x52) return;
      const seq = new DataView(e.payload.buffer, e.payload.byteOffset).getUint32(1, true);
      waiting.get(seq)?.();
    });
    let replies = 0;
    let misses = 0;
    try {
      for (let seq = 0; seq < count; seq++) {
        const payload = new Uint8Array(payloadLen);
        payload[0] = 0x50;
        new DataView(payload.buffer).setUint32(1, seq, true);
        let timer;
        const got = new Promise((r) => {
          waiting.set(seq, () => r(true));
          timer = setTimeout(() => r(false), perReplyMs);
        }).finally(() => clearTimeout(timer));
        // Bounded: @fips/core's sendDatagram waits without a timeout when a
        // session handshake to dst is already under way and never completes.
        await withTimeout(this.node.sendDatagram({ dst: dstHex, srcPort, dstPort: 7, payload }),
          20_000, `TS sendDatagram to ${dstHex.slice(0, 16)}`);
        if (await got) {
          replies++;
          misses = 0;
        } else if (++misses >= maxMisses) {
          break;
        }
        waiting.delete(seq);
        if (gapMs) await sleep(gapMs);
      }
    } finally {
      off();
    }
    return replies;
  }
}

export class Harness {
  constructor(name) {
    this.work = mkdtempSync(join(tmpdir(), `fips-interop-${name}.`));
    this.daemons = [];
    this.tsNodes = [];
    // Should the test process end without close() (an uncaught error, the
    // runner's timeout, a signal), no daemon outlives it and no scratch dir stays.
    process.once("exit", () => {
      for (const d of this.daemons) if (d.proc && d.proc.exitCode === null) d.proc.kill("SIGKILL");
      if (process.env.KEEP_WORK !== "1") rmSync(this.work, { recursive: true, force: true });
    });
    for (const sig of ["SIGTERM", "SIGINT"]) process.once(sig, () => process.exit(1));
  }

  /**
   * A daemon with a fresh key (fipsctl keygen). parity "even"/"odd" picks a
   * key whose compressed public key starts 02/03 (npubs carry no parity;
   * @fips/core compares full compressed keys in places, see rekey.test.mjs).
   */
  async daemon(name, { parity } = {}) {
    const d = new Daemon(this, name);
    mkdirSync(d.dir);
    for (let attempt = 0; ; attempt++) {
      rmSync(join(d.dir, "fips.key"), { force: true });
      rmSync(join(d.dir, "fips.pub"), { force: true });
      const r = await run(join(BIN, "fipsctl"), ["keygen", "-d", d.dir], 10_000);
      if (r.code !== 0) throw new Error(`fipsctl keygen: ${r.stderr}`);
      const nsec = readFileSync(join(d.dir, "fips.key"), "utf8").trim();
      d.realKey = (await fips.identityFromSecretKey(fips.decodeNsec(nsec))).publicKey;
      if (!parity || (d.realKey[0] === 0x03) === (parity === "odd")) break;
      if (attempt > 40) throw new Error(`no ${parity}-parity key after ${attempt} tries`);
    }
    d.npub = readFileSync(join(d.dir, "fips.pub"), "utf8").trim();
    d.hex = hexOfNpub(d.npub);
    this.daemons.push(d);
    return d;
  }

  async tsNode(name, opts = {}) {
    const n = new TsNode(this, name, { ...opts, identity: opts.identity ?? await fips.generateIdentity() });
    await n.start();
    this.tsNodes.push(n);
    return n;
  }

  /** Daemon logs, for failure messages. */
  logs() {
    return this.daemons.map((d) => `--- ${d.name}\n${d.liveLog().split("\n").slice(-25).join("\n")}`).join("\n");
  }

  async close() {
    for (const n of this.tsNodes) await n.stop().catch(() => {});
    await Promise.all(this.daemons.map((d) => d.stop()));
    if (process.env.KEEP_WORK === "1") console.log(`work dir kept: ${this.work}`);
    else rmSync(this.work, { recursive: true, force: true });
  }
}
