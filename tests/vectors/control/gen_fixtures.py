#!/usr/bin/env python3
"""Generate example control-socket fixtures in the exact byte format the Rust
reference (fips @ a1f57c1, serde_json 1.0.151 without `preserve_order`, float
formatting by `zmij`) produces.

Outputs, per command NAME:
  NAME.wire.json   - the single line the daemon writes on the socket
                     (compact, `status` first, then `data`; keys inside `data`
                     sorted bytewise because serde_json::Map is a BTreeMap),
                     terminated by "\n".
  NAME.fipsctl.txt - what `fipsctl show ...` prints on stdout:
                     serde_json::to_string_pretty(data) + "\n".

Identities are derived for real (secp256k1 x-only pubkey -> bech32 npub,
node_addr = sha256(xonly)[:16], ipv6 = fd || node_addr[:15]) so every npub /
node_addr / ipv6 / short name in the fixtures is mutually consistent.

Run:  python3 gen_fixtures.py   (writes next to itself)
"""
import decimal
import hashlib
import json
import math
import os

HERE = os.path.dirname(os.path.abspath(__file__))
REF_SNAP = os.path.join(HERE, "reference-snapshots")

# ---------------------------------------------------------------------------
# secp256k1 (pure python, only what we need: x-only pubkey of a scalar)
# ---------------------------------------------------------------------------
P = 2**256 - 2**32 - 977
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
G = (0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
     0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8)


def _add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    if a[0] == b[0] and (a[1] + b[1]) % P == 0:
        return None
    if a == b:
        lam = 3 * a[0] * a[0] * pow(2 * a[1], P - 2, P) % P
    else:
        lam = (b[1] - a[1]) * pow(b[0] - a[0], P - 2, P) % P
    x = (lam * lam - a[0] - b[0]) % P
    return (x, (lam * (a[0] - x) - a[1]) % P)


def _mul(k, pt=G):
    r = None
    while k:
        if k & 1:
            r = _add(r, pt)
        pt = _add(pt, pt)
        k >>= 1
    return r


# ---------------------------------------------------------------------------
# bech32 (BIP-173, as used by NIP-19 npub/nsec)
# ---------------------------------------------------------------------------
CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _polymod(values):
    gen = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3]
    chk = 1
    for v in values:
        b = chk >> 25
        chk = (chk & 0x1ffffff) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if ((b >> i) & 1) else 0
    return chk


def _bech32_encode(hrp, data8):
    acc, bits, out = 0, 0, []
    for b in data8:
        acc = (acc << 8) | b
        bits += 8
        while bits >= 5:
            bits -= 5
            out.append((acc >> bits) & 31)
    if bits:
        out.append((acc << (5 - bits)) & 31)
    hrpx = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    pm = _polymod(hrpx + out + [0] * 6) ^ 1
    chk = [(pm >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(CHARSET[d] for d in out + chk)


class Ident:
    def __init__(self, secret: int):
        x, _y = _mul(secret)
        self.xonly = x.to_bytes(32, "big")
        self.npub = _bech32_encode("npub", self.xonly)
        self.node_addr = hashlib.sha256(self.xonly).digest()[:16]
        self.addr_hex = self.node_addr.hex()
        b = b"\xfd" + self.node_addr[:15]
        import ipaddress
        self.ipv6 = str(ipaddress.IPv6Address(b))  # RFC 5952, same as Rust Display

    @property
    def short_npub(self):  # PeerIdentity::short_npub
        d = self.npub[5:]
        return "npub1" + d[:4] + "..." + d[-4:]

    @property
    def short_hex(self):  # NodeAddr::short_hex
        return self.node_addr[:4].hex() + "..."


# Self-check against the reference snapshot identity (seed [0xAB; 32]).
_chk = Ident(int.from_bytes(bytes([0xAB]) * 32, "big"))
assert _chk.npub == "npub1sx42mj99aql52aklsg70y2jmr95u7uz2p40k769aw46ppjv302kqkhmu5r", _chk.npub
assert _chk.addr_hex == "1b4788b7ab7a436a611fc59fb1e34c6e"
assert _chk.ipv6 == "fd1b:4788:b7ab:7a43:6a61:1fc5:9fb1:e34c"

# ---------------------------------------------------------------------------
# serde_json-compatible serializer
# ---------------------------------------------------------------------------


def fmt_f64(x: float) -> str:
    """serde_json 1.0.151 (zmij) f64 text: shortest round-trip digits;
    fixed notation when the leading digit's decimal exponent is in -5..=15
    (always with a fractional part, `1.0`), otherwise `d[.ddd]e+X` / `e-X`
    (explicit sign, no zero padding)."""
    if not math.isfinite(x):
        raise ValueError("non-finite floats become null in serde_json::Value")
    if x == 0.0:
        return "-0.0" if math.copysign(1.0, x) < 0 else "0.0"
    neg = x < 0
    sign, digits, exp = decimal.Decimal(repr(abs(x))).as_tuple()
    s = "".join(map(str, digits)).rstrip("0")
    exp += len(digits) - len(s)          # account for stripped zeros
    e10 = exp + len(s) - 1               # exponent of leading digit
    if -5 <= e10 <= 15:
        if e10 >= len(s) - 1:
            out = s + "0" * (e10 - (len(s) - 1)) + ".0"
        elif e10 >= 0:
            out = s[: e10 + 1] + "." + s[e10 + 1:]
        else:
            out = "0." + "0" * (-e10 - 1) + s
    else:
        mant = s[0] + ("." + s[1:] if len(s) > 1 else "")
        out = mant + "e" + ("+" if e10 >= 0 else "-") + str(abs(e10))
    return ("-" if neg else "") + out


assert fmt_f64(1.0) == "1.0" and fmt_f64(0.00002) == "0.00002"
assert fmt_f64(1e-6) == "1e-6" and fmt_f64(1e16) == "1e+16"
assert fmt_f64(1e15) == "1000000000000000.0" and fmt_f64(12.5) == "12.5"
assert fmt_f64(0.020000000000000018) == "0.020000000000000018"


def _str(s: str) -> str:
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\b":
            out.append("\\b")
        elif ch == "\f":
            out.append("\\f")
        elif o < 0x20:
            out.append("\\u%04x" % o)
        else:
            out.append(ch)  # non-ASCII emitted raw (UTF-8), '/' not escaped
    out.append('"')
    return "".join(out)


def _scalar(v):
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return fmt_f64(v) if math.isfinite(v) else "null"
    if isinstance(v, str):
        return _str(v)
    raise TypeError(type(v))


def compact(v, sort=True):
    if isinstance(v, dict):
        keys = sorted(v) if sort else list(v)
        return "{" + ",".join(_str(k) + ":" + compact(v[k]) for k in keys) + "}"
    if isinstance(v, list):
        return "[" + ",".join(compact(x) for x in v) + "]"
    return _scalar(v)


def pretty(v, ind=0):
    pad = "  " * (ind + 1)
    end = "  " * ind
    if isinstance(v, dict):
        if not v:
            return "{}"
        return "{\n" + ",\n".join(pad + _str(k) + ": " + pretty(v[k], ind + 1)
                                  for k in sorted(v)) + "\n" + end + "}"
    if isinstance(v, list):
        if not v:
            return "[]"
        return "[\n" + ",\n".join(pad + pretty(x, ind + 1) for x in v) + "\n" + end + "]"
    return _scalar(v)


def wire_ok(data):
    # Response is a struct: field order status, data (message skipped).
    return '{"status":"ok","data":' + compact(data) + "}\n"


def wire_err(msg):
    return '{"status":"error","message":' + _str(msg) + "}\n"


def counters(name, key):
    """Counter-family key list taken from the reference snapshot files."""
    with open(os.path.join(REF_SNAP, name + ".json")) as f:
        d = json.load(f)["data"]
    return {k: 0 for k in d[key]}


# ---------------------------------------------------------------------------
# Scenario
# ---------------------------------------------------------------------------
# Pick secrets so that B has the smallest node_addr (B is tree root) and
# A < C, D, E, F is irrelevant; only B must be minimal.
def pick(start):
    s = start
    while True:
        yield s
        s += 1


secrets = {}
names = ["A", "B", "C", "D", "E", "F"]
base = {"A": 0x1111, "B": 0x2222, "C": 0x3333, "D": 0x4444, "E": 0x5555, "F": 0x6666}
ids = {n: Ident(base[n]) for n in names}
# bump B until it is the smallest node_addr
k = base["B"]
while any(ids[n].node_addr < ids["B"].node_addr for n in names if n != "B"):
    k += 1
    ids["B"] = Ident(k)
A, B, C, D, E, F = (ids[n] for n in names)

NOW = 1767225600000          # 2026-01-01T00:00:00Z in Unix ms ("now" at render)
UPTIME = 3600
STARTED = NOW - UPTIME * 1000

# Display-name resolution (Node::peer_display_name): hosts file > config alias
# > live peer short npub > session short npub > short hex.
alias = {B.addr_hex: "node-b", E.addr_hex: "node-e"}


def dname(i: Ident, is_peer=False, has_session=False):
    if i.addr_hex in alias:
        return alias[i.addr_hex]
    if is_peer or has_session:
        return i.short_npub
    return i.short_hex


def mmp_metrics(srtt_ms, delivery_fwd, delivery_rev, etx, goodput, s_loss, s_etx):
    m = {
        "srtt_ms": srtt_ms,
        "loss_rate": 1.0 - delivery_fwd,
        "etx": etx,
        "goodput_bps": goodput,
        "delivery_ratio_forward": delivery_fwd,
        "delivery_ratio_reverse": delivery_rev,
        "smoothed_loss": s_loss,
        "smoothed_etx": s_etx,
    }
    if srtt_ms is not None and s_etx is not None:
        m["qi"] = s_etx * (1.0 + srtt_ms / 100.0)
    return m


mB = mmp_metrics(23.417, 1.0, 0.998, 1.002004008016032, 18342.5, 0.0013, 1.0031)
mC = mmp_metrics(41.25, 0.98, 0.99, 1.0306122448979591, 5120.0, 0.0197, 1.027)
mD = mmp_metrics(64.9, 1.0, 1.0, 1.0, 2210.75, 0.0, 1.0)


def link_cost(m):
    return m["etx"] * (1.0 + m["srtt_ms"] / 100.0) if m["srtt_ms"] is not None else 1.0


def peer_mmp_block(m):
    # show_peers inline "mmp" (render_entity_mmp without path_mtu)
    j = {"mode": "full"}
    if m["srtt_ms"] is not None:
        j["srtt_ms"] = m["srtt_ms"]
    for key in ("loss_rate", "etx", "goodput_bps", "delivery_ratio_forward", "delivery_ratio_reverse"):
        j[key] = m[key]
    if m["smoothed_loss"] is not None:
        j["smoothed_loss"] = m["smoothed_loss"]
    if m["smoothed_etx"] is not None:
        j["smoothed_etx"] = m["smoothed_etx"]
    if "qi" in m:
        j["lqi"] = m["qi"]
    return j


def session_mmp_block(m, path_mtu):
    j = {k: m[k] for k in ("loss_rate", "etx", "goodput_bps",
                           "delivery_ratio_forward", "delivery_ratio_reverse")}
    j["mode"] = "full"
    j["path_mtu"] = path_mtu
    if m["srtt_ms"] is not None:
        j["srtt_ms"] = m["srtt_ms"]
    if m["smoothed_loss"] is not None:
        j["smoothed_loss"] = m["smoothed_loss"]
    if m["smoothed_etx"] is not None:
        j["smoothed_etx"] = m["smoothed_etx"]
    if "qi" in m:
        j["sqi"] = m["qi"]
    return j


NOSTR_DEFAULT = {"consecutive_failures": 0, "in_cooldown": False,
                 "cooldown_until_ms": None, "last_observed_skew_ms": None}

fixtures = {}

# --- show_peers -----------------------------------------------------------
peer_B = {
    "node_addr": B.addr_hex, "npub": B.npub, "display_name": dname(B, True),
    "ipv6_addr": B.ipv6, "connectivity": "connected", "link_id": 1,
    "authenticated_at_ms": STARTED + 412, "last_seen_ms": NOW - 180,
    "has_tree_position": True, "has_bloom_filter": True, "filter_sequence": 9,
    "is_parent": True, "is_child": False,
    "transport_addr": "198.51.100.7:2121", "direction": "outbound",
    "transport_type": "udp", "tree_depth": 0,
    "effective_depth": 0 + link_cost(mB),
    "stats": {"packets_sent": 48211, "packets_recv": 51977,
              "bytes_sent": 9120334, "bytes_recv": 11873410},
    "replay_suppressed": 0, "consecutive_decrypt_failures": 0,
    "nostr_traversal": dict(NOSTR_DEFAULT),
    "noise": {"send_counter": 1873, "highest_recv_counter": 1902},
    "our_session_index": "3f2a9c01", "current_k_bit": True,
    "mmp": peer_mmp_block(mB),
}
peer_C = {
    "node_addr": C.addr_hex, "npub": C.npub, "display_name": dname(C, True),
    "ipv6_addr": C.ipv6, "connectivity": "connected", "link_id": 3,
    "authenticated_at_ms": NOW - 1250000, "last_seen_ms": NOW - 950,
    "has_tree_position": True, "has_bloom_filter": True, "filter_sequence": 4,
    "is_parent": False, "is_child": True,
    "transport_addr": "203.0.113.45:51234", "direction": "inbound",
    "transport_type": "tcp", "tree_depth": 2,
    "effective_depth": 2 + link_cost(mC),
    "stats": {"packets_sent": 7310, "packets_recv": 6988,
              "bytes_sent": 1204411, "bytes_recv": 998120},
    "replay_suppressed": 2, "consecutive_decrypt_failures": 0,
    "nostr_traversal": dict(NOSTR_DEFAULT),
    "noise": {"send_counter": 411, "highest_recv_counter": 398},
    "our_session_index": "0000b7e4", "current_k_bit": False,
    "rekey_in_progress": True,
    "mmp": peer_mmp_block(mC),
}
fixtures["show_peers"] = {"peers": [peer_B, peer_C]}

# --- show_links (reference quirk: Link::created_at and link stats are never
#     updated after Link::new, so they are always 0 on a real daemon) -------
zero_link_stats = {"packets_sent": 0, "packets_recv": 0, "bytes_sent": 0,
                   "bytes_recv": 0, "last_recv_ms": 0}
fixtures["show_links"] = {"links": [
    {"link_id": 1, "transport_id": 1, "remote_addr": "198.51.100.7:2121",
     "direction": "outbound", "state": "connected", "created_at_ms": 0,
     "stats": dict(zero_link_stats)},
    {"link_id": 3, "transport_id": 2, "remote_addr": "203.0.113.45:51234",
     "direction": "inbound", "state": "connected", "created_at_ms": 0,
     "stats": dict(zero_link_stats)},
]}

# --- show_connections -------------------------------------------------------
fixtures["show_connections"] = {"connections": [
    {"link_id": 4, "direction": "outbound", "handshake_state": "sent_msg1",
     "started_at_ms": NOW - 7000, "idle_ms": 3000, "resend_count": 2,
     "expected_peer": E.npub},
]}

# --- show_transports --------------------------------------------------------
fixtures["show_transports"] = {"transports": [
    {"transport_id": 1, "type": "udp", "state": "up", "mtu": 1280,
     "local_addr": "0.0.0.0:2121",
     "stats": {"packets_sent": 48290, "bytes_sent": 9131877,
               "packets_recv": 52010, "bytes_recv": 11879002,
               "send_errors": 0, "recv_errors": 0, "mtu_exceeded": 0,
               "kernel_drops": 0}},
    {"transport_id": 2, "type": "tcp", "state": "up", "mtu": 1400,
     "local_addr": "0.0.0.0:8443",
     "stats": {"packets_sent": 7316, "bytes_sent": 1205100,
               "packets_recv": 6990, "bytes_recv": 998402,
               "send_errors": 0, "recv_errors": 0, "mtu_exceeded": 0,
               "connections_established": 0, "connections_accepted": 1,
               "connections_rejected": 0, "connect_timeouts": 0,
               "connect_refused": 0, "pool_inbound": 1, "pool_outbound": 0}},
]}

# --- show_status ------------------------------------------------------------
fwd = counters("show_status", "forwarding")
fwd.update({"received_packets": 58965, "received_bytes": 12871530,
            "delivered_packets": 40112, "delivered_bytes": 9988001,
            "originated_packets": 38020, "originated_bytes": 7402213,
            "forwarded_packets": 17501, "forwarded_bytes": 2923101,
            "route_direct_peer": 30110, "route_tree_up": 20001,
            "route_tree_down": 5410})
spark = {
    "mesh_size": [5.0] * 30,
    "tree_depth": [1.0] * 30,
    "peer_count": [2.0] * 30,
    "bytes_in": [3521.0, 3610.5, 2980.0, 4102.25, 3377.0] * 6,
    "bytes_out": [2988.0, 3011.75, 2502.0, 3650.5, 2876.0] * 6,
    "loss_rate": [0.010000000000000009, 0.0, 0.010000000000000009, 0.0, 0.0] * 6,
}
fixtures["show_status"] = {
    "version": "0.5.0-dev (rev a1f57c1e2d)",
    "npub": A.npub, "node_addr": A.addr_hex, "ipv6_addr": A.ipv6,
    "state": "running", "is_leaf_only": False,
    "peer_count": 2, "session_count": 2, "link_count": 2,
    "transport_count": 2, "connection_count": 1,
    "tun_state": "active", "tun_name": "fips0",
    "effective_ipv6_mtu": 1203,
    "control_socket": "/run/fips/control.sock",
    "pid": 4242, "exe_path": "/usr/bin/fips", "uptime_secs": UPTIME,
    "estimated_mesh_size": 5, "persistent": True,
    "root": B.addr_hex, "is_root": False,
    "transport_peer_counts": {"tcp": 1, "udp": 1},
    "forwarding": fwd, "sparklines": spark,
}

# --- show_tree --------------------------------------------------------------
tree_stats = counters("show_tree", "stats")
tree_stats.update({"received": 812, "accepted": 790, "sent": 801,
                   "rate_limited": 11, "stale": 11, "parent_switches": 1})
fixtures["show_tree"] = {
    "my_node_addr": A.addr_hex, "root": B.addr_hex, "root_npub": B.npub,
    "is_root": False, "depth": 1, "my_coords": [A.addr_hex, B.addr_hex],
    "parent": B.addr_hex, "parent_display_name": dname(B, True),
    "declaration_sequence": 7, "declaration_signed": True,
    "peer_tree_count": 2,
    "peers": [
        {"node_addr": B.addr_hex, "display_name": dname(B, True), "depth": 0,
         "root": B.addr_hex, "coords": [B.addr_hex], "distance_to_us": 1},
        {"node_addr": C.addr_hex, "display_name": dname(C, True), "depth": 2,
         "root": B.addr_hex, "coords": [C.addr_hex, A.addr_hex, B.addr_hex],
         "distance_to_us": 1},
    ],
    "stats": tree_stats,
}

# --- show_bloom -------------------------------------------------------------
M_BITS, K_HASH = 8192, 5


def est(ones, max_fpr=0.20):
    fill = ones / M_BITS
    if ones >= M_BITS or fill ** K_HASH > max_fpr:
        return None
    return -(M_BITS / K_HASH) * math.log(1.0 - fill)


bloom_stats = counters("show_bloom", "stats")
bloom_stats.update({"received": 64, "accepted": 60, "sent": 58,
                    "debounce_suppressed": 21, "stale": 4})
fixtures["show_bloom"] = {
    "own_node_addr": A.addr_hex, "is_leaf_only": False, "sequence": 12,
    "leaf_dependent_count": 0, "leaf_dependents": [],
    "peer_filters": [
        {"peer": B.addr_hex, "display_name": dname(B, True), "has_filter": True,
         "filter_sequence": 9, "estimated_count": est(15), "set_bits": 15,
         "fill_ratio": 15 / M_BITS},
        {"peer": C.addr_hex, "display_name": dname(C, True), "has_filter": True,
         "filter_sequence": 4, "estimated_count": est(5), "set_bits": 5,
         "fill_ratio": 5 / M_BITS},
    ],
    "uptree_fill_ratio": 10 / M_BITS,
    "uptree_estimated_count": est(10),
    "stats": bloom_stats,
}

# --- show_sessions ----------------------------------------------------------
fixtures["show_sessions"] = {"sessions": [
    {"remote_addr": D.addr_hex, "display_name": dname(D, has_session=True),
     "state": "established", "is_initiator": True,
     "last_activity_ms": NOW - 420, "npub": D.npub,
     "stats": {"packets_sent": 20311, "packets_recv": 19877,
               "bytes_sent": 4420098, "bytes_recv": 6102233},
     "session_start_ms": NOW - 95000, "current_k_bit": False,
     "coords_warmup_remaining": 0, "is_draining": False,
     "mmp": session_mmp_block(mD, 1203)},
    {"remote_addr": F.addr_hex, "display_name": dname(F, has_session=True),
     "state": "initiating", "is_initiator": True,
     "last_activity_ms": NOW - 1500, "npub": F.npub,
     "stats": {"packets_sent": 0, "packets_recv": 0,
               "bytes_sent": 0, "bytes_recv": 0},
     "resend_count": 1},
]}

# --- show_mmp (reference control/queries.rs show_mmp) ----------------------
def mmp_link_layer(m, role, trends, ce):
    j = {k: m[k] for k in ("loss_rate", "etx", "goodput_bps")}
    j["spin_bit_role"] = role
    if m["smoothed_loss"] is not None:
        j["smoothed_loss"] = m["smoothed_loss"]
    if m["smoothed_etx"] is not None:
        j["smoothed_etx"] = m["smoothed_etx"]
    if m["srtt_ms"] is not None:
        j["srtt_ms"] = m["srtt_ms"]
        if m["smoothed_etx"] is not None:
            j["lqi"] = m["qi"]
    for k, v in zip(("rtt_trend", "loss_trend", "goodput_trend", "jitter_trend"), trends):
        j[k] = v
    j["delivery_ratio_forward"] = m["delivery_ratio_forward"]
    j["delivery_ratio_reverse"] = m["delivery_ratio_reverse"]
    j["ecn_ce_count"] = ce
    return j


def mmp_session_layer(m, path_mtu, trends):
    j = {"loss_rate": m["loss_rate"], "etx": m["etx"], "path_mtu": path_mtu}
    if m["smoothed_loss"] is not None:
        j["smoothed_loss"] = m["smoothed_loss"]
    if m["smoothed_etx"] is not None:
        j["smoothed_etx"] = m["smoothed_etx"]
    if m["srtt_ms"] is not None:
        j["srtt_ms"] = m["srtt_ms"]
        if m["smoothed_etx"] is not None:
            j["sqi"] = m["qi"]
    for k, v in zip(("rtt_trend", "loss_trend", "etx_trend"), trends):
        j[k] = v
    return j


fixtures["show_mmp"] = {
    "peers": [
        {"peer": B.addr_hex, "display_name": dname(B, is_peer=True), "mode": "full",
         "link_layer": mmp_link_layer(mB, "initiator", ("stable", "falling", "rising", "stable"), 0)},
        {"peer": C.addr_hex, "display_name": dname(C, is_peer=True), "mode": "full",
         "link_layer": mmp_link_layer(mC, "responder", ("rising", "stable", "stable", "falling"), 3)},
    ],
    "sessions": [
        {"remote": D.addr_hex, "display_name": dname(D, has_session=True), "mode": "full",
         "session_layer": mmp_session_layer(mD, 1203, ("stable", "stable", "stable"))},
    ],
}

# --- show_cache -------------------------------------------------------------
fixtures["show_cache"] = {
    "count": 1, "max_entries": 50000, "fill_ratio": 1 / 50000,
    "default_ttl_ms": 300000, "expired": 0, "avg_age_ms": 41200,
    "entries": [
        {"node_addr": D.addr_hex, "display_name": dname(D, has_session=True),
         "ipv6_addr": D.ipv6, "depth": 1, "coords": [D.addr_hex, B.addr_hex],
         "age_ms": 41200, "last_used_ms": NOW - 420, "path_mtu": 1203},
    ],
}

# --- show_identity_cache ----------------------------------------------------
def ident_entry(i, name, last_seen):
    return {"node_addr": i.addr_hex, "npub": i.npub, "display_name": name,
            "ipv6_addr": i.ipv6, "last_seen_ms": last_seen,
            "age_ms": NOW - last_seen}


fixtures["show_identity_cache"] = {
    "entries": [
        ident_entry(B, dname(B, True), NOW - 180),
        ident_entry(C, dname(C, True), NOW - 950),
        ident_entry(D, dname(D, has_session=True), NOW - 420),
        ident_entry(E, dname(E), STARTED + 5),
        ident_entry(F, dname(F, has_session=True), NOW - 1500),
    ],
    "count": 5, "max_entries": 10000,
}

# --- show_routing -----------------------------------------------------------
lookup = counters("show_routing", "lookup")
lookup.update({"req_initiated": 3, "req_received": 41, "req_forwarded": 22,
               "resp_received": 2, "resp_accepted": 2, "req_deduplicated": 6})
fixtures["show_routing"] = {
    "coord_cache_entries": 1, "identity_cache_entries": 5,
    "pending_lookups": [
        {"target": F.addr_hex, "display_name": dname(F, has_session=True),
         "initiated_ms": NOW - 1500, "last_sent_ms": NOW - 500, "attempt": 2,
         "age_ms": 1500},
    ],
    "pending_tun_destinations": 1, "pending_tun_packets": 3,
    "recent_requests": 2,
    "retries": [
        {"node_addr": E.addr_hex, "display_name": dname(E), "retry_count": 2,
         "retry_after_ms": NOW + 13000, "auto_reconnect": True},
    ],
    "forwarding": fwd,
    "discovery": dict(lookup), "lookup": dict(lookup),
    "error_signals": counters("show_routing", "error_signals"),
    "congestion": counters("show_routing", "congestion"),
}

# --- connect / disconnect ---------------------------------------------------
fixtures["connect"] = {"npub": E.npub, "address": "192.0.2.50:2121",
                       "transport": "udp", "refreshed": False}
fixtures["disconnect"] = {"npub": C.npub, "disconnected": True}

# ---------------------------------------------------------------------------
for name, data in fixtures.items():
    with open(os.path.join(HERE, name + ".wire.json"), "w") as f:
        f.write(wire_ok(data))
    with open(os.path.join(HERE, name + ".fipsctl.txt"), "w") as f:
        f.write(pretty(data) + "\n")

# Requests (what fipsctl sends), one per line.
reqs = [
    '{"command":"show_status"}',
    '{"command":"show_peers"}',
    compact({"command": "connect", "params": {"npub": E.npub,
             "address": "192.0.2.50:2121", "transport": "udp"}}),
    compact({"command": "disconnect", "params": {"npub": C.npub}}),
]
with open(os.path.join(HERE, "requests.fipsctl.jsonl"), "w") as f:
    f.write("\n".join(reqs) + "\n")

errors = [
    "empty request",
    "invalid request: EOF while parsing a value at line 1 column 0",
    "invalid request: missing field `command` at line 1 column 17",
    "invalid request: expected value at line 1 column 1",
    "invalid request: invalid type: integer `5`, expected a string at line 1 column 13",
    "invalid request: trailing characters at line 1 column 27",
    "read error: request too large",
    "read error: stream did not contain valid UTF-8",
    "read timeout",
    "unknown command: show_foo",
    "missing params for connect",
    "missing 'npub' parameter",
    "missing 'address' parameter",
    "missing 'transport' parameter",
    "missing params for disconnect",
    "invalid peer npub 'npub1nonsense': bech32 decoding error: parsing failed",
    "no transport available for type: no operational transport for any of "
    + E.npub + "'s addresses",
    "invalid npub 'bogus': bech32 decoding error: parsing failed",
    "peer not found: " + F.npub,
    "query timeout",
    "node shutting down",
    "response channel closed",
]
with open(os.path.join(HERE, "errors.wire.jsonl"), "w") as f:
    for m in errors:
        f.write(wire_err(m))

with open(os.path.join(HERE, "identities.txt"), "w") as f:
    f.write("# Scenario identities (secret scalars are toy values, not real keys)\n")
    for n in names:
        i = ids[n]
        f.write(f"{n}: npub={i.npub} node_addr={i.addr_hex} ipv6={i.ipv6} "
                f"short_npub={i.short_npub} short_hex={i.short_hex}\n")
print("wrote", len(fixtures), "fixtures")
