#!/usr/bin/env python3
"""Reads Google Benchmark JSON and prints a markdown table of every
<op>/ours[/arg] next to its <op>/baseline[/arg] twin with the ratio
ours_time / baseline_time (1.00 = no overhead; below 1 = faster)."""
import json, sys

data = json.load(open(sys.argv[1]))
rows = {}
for b in data["benchmarks"]:
    if b.get("run_type") == "aggregate":
        continue
    parts = b["name"].split("/")
    if len(parts) < 2 or parts[1] not in ("ours", "baseline"):
        continue
    key = (parts[0], "/".join(parts[2:]))
    rows.setdefault(key, {})[parts[1]] = b

def fmt_time(ns):
    if ns >= 1e6: return f"{ns/1e6:.2f} ms"
    if ns >= 1e3: return f"{ns/1e3:.2f} us"
    return f"{ns:.0f} ns"

print("| operation | size | ours | baseline | ours/baseline | ours throughput |")
print("|---|---|---|---|---|---|")
for (op, arg), v in rows.items():
    o, bl = v.get("ours"), v.get("baseline")
    if not o or not bl:
        continue
    to, tb = o["cpu_time"], bl["cpu_time"]  # ns (default unit)
    thr = o.get("bytes_per_second")
    thr_s = f"{thr*8/1e9:.2f} Gbit/s" if thr else f"{1e9/to:,.0f} ops/s"
    print(f"| {op} | {arg or '-'} | {fmt_time(to)} | {fmt_time(tb)} | {to/tb:.2f} | {thr_s} |")
ctx = data.get("context", {})
print(f"\n{ctx.get('host_name','?')}, {ctx.get('num_cpus','?')} CPUs @ {ctx.get('mhz_per_cpu','?')} MHz, "
      f"library build {ctx.get('library_build_type','?')}, {ctx.get('date','')}")
