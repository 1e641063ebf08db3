// A UDP transport for the TypeScript FIPS node (@fips/core's Transport
// interface, its src/transport/types.ts), for the interop suite: one raw FMP
// packet per datagram over node:dgram, as the reference's UDP transport, with
// no extra framing. Addresses are "host:port" strings.
//
// Driven by FipsNode: start() binds the socket and hands every datagram to
// ctx.onPacket (an inbound msg1 from an unknown address is accepted there);
// an outbound link starts when discover() yields a DiscoveredPeer carrying the
// peer's 32-byte x-only key, which addDiscovered() queues.
//
// `txHook`, when set, sees every outgoing packet and returns the bytes to send
// (or null to drop it): the hook the bad-input scenarios use. Nothing else
// here differs from a plain transport.
//
// Not here: reliability, fragmentation, NAT traversal.
import dgram from "node:dgram";

export class UdpTransport {
  constructor({ port = 0, host = "127.0.0.1", mtu = 1280 } = {}) {
    this.type = "udp";
    this.mtu = mtu;
    this.bindPort = port;
    this.host = host;
    this.socket = undefined;
    this.queue = [];
    this.wake = undefined;
    this.stopped = false;
    this.txHook = undefined;
    this.sent = 0;
    this.received = 0;
  }

  get port() { return this.socket?.address().port; }

  async start(ctx) {
    this.stopped = false;
    this.socket = dgram.createSocket("udp4");
    this.socket.on("message", (msg, rinfo) => {
      this.received++;
      ctx.onPacket({
        transportType: this.type,
        remoteAddr: { transport: this.type, addr: `${rinfo.address}:${rinfo.port}` },
        data: new Uint8Array(msg.buffer, msg.byteOffset, msg.length),
        receivedAtMs: Date.now(),
      });
    });
    this.socket.on("error", () => {});
    await new Promise((res, rej) => {
      this.socket.once("error", rej);
      this.socket.bind(this.bindPort, this.host, () => { this.socket.off("error", rej); res(); });
    });
  }

  async stop() {
    this.stopped = true;
    this.wake?.();
    if (this.socket) await new Promise((r) => this.socket.close(r));
    this.socket = undefined;
  }

  async connect(_addr) {}  // connectionless

  async send(addr, packet) {
    if (!this.socket) throw new Error("udp transport not started");
    let bytes = packet;
    if (this.txHook) {
      bytes = this.txHook(packet, addr);
      if (!bytes) return;
    }
    const i = addr.addr.lastIndexOf(":");
    this.sent++;
    await new Promise((res) => this.socket.send(bytes, +addr.addr.slice(i + 1), addr.addr.slice(0, i), () => res()));
  }

  /** Queues an outbound link to hostport whose x-only key is xonly (32 bytes). */
  addDiscovered(hostport, xonly) {
    this.queue.push({ remoteAddr: { transport: this.type, addr: hostport }, publicKey: xonly });
    this.wake?.();
  }

  async *discover() {
    while (!this.stopped) {
      if (this.queue.length) {
        yield this.queue.shift();
        continue;
      }
      await new Promise((r) => { this.wake = r; });
      this.wake = undefined;
    }
  }
}
