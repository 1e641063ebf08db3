#!/usr/bin/env bash
# Citation lint: every document the code cites must be inside the repository.
# Usage: scripts/lint-citations.sh [REPO_ROOT]     (default: this script's repo)
#        scripts/lint-citations.sh --self-test     (proves each rule fires)
# Registered as the ctest tests lint_citations and lint_citations_selftest
# (tests/CMakeLists.txt), so `make test` runs it.
#
# Scans the text files under src apps tests fuzz bench scripts docs (not
# fuzz corpora) and prints file:line: reason for each
#   1. document cited outside the repo: an absolute, home (~/) or parent (../)
#      path ending in .md, or anything under the old notes directory;
#   2. `<name>-spec.md` or a bare `<name>-spec` name (the pre-docs/spec notes);
#   3. `docs/...md` that does not exist in the repo (the reference's own
#      docs/design/ and docs/reference/ pages are allowed when that line or
#      one of the three before it says it means the reference);
#   4. a section (§N, §N.M, ranges) or an stp-bloom label (S10, W12, B4 ...)
#      that the cited docs/spec note does not have. A bare § refers to the
#      note named just before it on the line, else at the end of the previous
#      line, else the first note the file names (in docs/spec/X.md itself:
#      X); a bare § in a file that
#      names no note is reported too. RFC sections (RFC 1035 §4) and URLs are
#      ignored, and so are paths that are test inputs rather than documents
#      (e.g. the interop tarball).
# Exit status: 0 clean, 1 findings, 2 usage error.
set -euo pipefail

if [[ "${1:-}" == "--self-test" ]]; then
  self=$(readlink -f "$0")
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  mkdir -p "$tmp/src" "$tmp/docs/spec" "$tmp/tests"
  printf '# n\n\n## §1 One\n\n### §1.2 Sub\n\n## §3 Three\n\n* **B4** label\n' >"$tmp/docs/spec/n.md"
  cat >"$tmp/src/good.h" <<'EOF'
// Follows docs/spec/n.md §1, §1.2 and §1-§3, docs/spec/n.md B4; see https://example.org/a/b.md
// DNS (RFC 1035 §4.1.1), tarball ../shared/interop/x.tgz, reference docs/design/fips-mtu.md.
// bare spec §3 resolves to the header's note.
EOF
  cat >"$tmp/src/bad.h" <<'EOF'
// Spec: /work/notes/old-spec.md
// see ../shared/design/ARCHITECTURE.md and ~/notes/x.md
// control-spec §3 and docs/missing.md
// docs/spec/n.md §2 and §1.7, label docs/spec/n.md B9
EOF
  printf '// only a bare §5 here\n' >"$tmp/tests/orphan.cc"
  out=$(bash "$self" "$tmp" 2>/dev/null) && { echo "self-test: lint passed a bad tree"; exit 1; }
  expect=(
    "src/bad.h:1: document outside the repository: /work/notes/old-spec.md"
    "src/bad.h:2: document outside the repository: ../shared/design/ARCHITECTURE.md"
    "src/bad.h:2: document outside the repository: ~/notes/x.md"
    "src/bad.h:3: old spec name: control-spec"
    "src/bad.h:3: no such document in the repository: docs/missing.md"
    "src/bad.h:4: docs/spec/n.md has no §2"
    "src/bad.h:4: docs/spec/n.md has no §1.7"
    "src/bad.h:4: docs/spec/n.md has no label B9"
    "tests/orphan.cc:1: §5 cited but the file names no docs/spec note"
  )
  fail=0
  for e in "${expect[@]}"; do
    grep -qxF "$e" <<<"$out" || { echo "self-test: missing finding: $e"; fail=1; }
  done
  if grep -q '^src/good.h' <<<"$out"; then
    echo "self-test: false positive on good.h:"; grep '^src/good.h' <<<"$out"; fail=1
  fi
  n=$(grep -c ':' <<<"$out" || true)
  [[ $n -eq ${#expect[@]} ]] || { echo "self-test: expected ${#expect[@]} findings, got $n:"; echo "$out"; fail=1; }
  [[ $fail -eq 0 ]] && echo "lint-citations self-test: ok (${#expect[@]} findings, none on the good file)"
  exit $fail
fi

root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
[[ -d "$root" ]] || { echo "usage: $0 [REPO_ROOT] | --self-test" >&2; exit 2; }
self=$(readlink -f "$0")

exec python3 - "$root" "$self" <<'PY'
import os, re, sys

root, self_path = sys.argv[1], sys.argv[2]
SCAN = ["src", "apps", "tests", "fuzz", "bench", "scripts", "docs"]

URL = re.compile(r"[a-z][a-z0-9+.-]*://\S+", re.I)
OUTSIDE = re.compile(r"(?<![\w./-])((?:/|~/|\.\./)[\w./+~-]*?\.md)\b")
OLDNOTES = re.compile(r"/work/notes\S*")
OLDSPEC = re.compile(r"(?<![\w/.-])([\w-]+-spec(?:\.md)?)(?![\w-])")
DOCS = re.compile(r"(?<![\w/.-])(docs/[\w./-]+?\.md)\b")
NOTE = re.compile(r"(?<![\w/.-])docs/spec/([\w-]+)\.md")
SECT = re.compile(r"§\s?(\d+(?:\.\d+)*)(?:\s*[-–/]\s*§?\s?(\d+(?:\.\d+)*))?")
LABEL = re.compile(r"(?:\.md|\bspec|§[\d.]+)\s+\(?([SLWBCDE]\d{1,2})\b")

note_cache = {}
def note(name):
    if name not in note_cache:
        p = os.path.join(root, "docs", "spec", name + ".md")
        if not os.path.isfile(p):
            note_cache[name] = None
        else:
            text = open(p, encoding="utf-8", errors="replace").read()
            secs = set()
            for line in text.splitlines():
                if line.startswith("#") or "**§" in line:
                    secs.update(re.findall(r"§(\d+(?:\.\d+)*)", line))
            labels = set(re.findall(r"\*\*([SLWBCDE]\d{1,2})\*\*", text))
            # "**W2** ... **W3**" and "W1" inside bullet lists count as defined
            labels |= set(re.findall(r"^\* \*\*([SLWBCDE]\d{1,2})\*\*", text, re.M))
            note_cache[name] = (secs, labels)
    return note_cache[name]

def text_files():
    for top in SCAN:
        base = os.path.join(root, top)
        for dirpath, dirnames, filenames in os.walk(base):
            rel_dir = os.path.relpath(dirpath, root)
            dirnames[:] = [d for d in dirnames
                           if not (top == "fuzz" and d.startswith("corpus")) and d not in (".git", "build")]
            for f in sorted(filenames):
                p = os.path.join(dirpath, f)
                if os.path.realpath(p) == self_path or os.path.getsize(p) > 2_000_000:
                    continue
                data = open(p, "rb").read()
                if b"\0" in data[:8192]:
                    continue
                yield os.path.relpath(p, root), data.decode("utf-8", errors="replace")

findings = []
def report(rel, n, msg):
    findings.append(f"{rel}:{n}: {msg}")

def expand(a, b):
    return [a] if b is None else [a, b]

for rel, text in text_files():
    lines = text.splitlines()
    names = NOTE.findall(text)
    default = names[0] if names else None
    m = re.fullmatch(r"docs/spec/([\w-]+)\.md", rel)
    if m:
        default = m.group(1)  # a note's bare sections are its own
    prev_tail = None  # note named at the end of the previous line
    for n, raw in enumerate(lines, 1):
        line = URL.sub(" ", raw)
        for m in OLDNOTES.finditer(line):
            report(rel, n, f"document outside the repository: {m.group(0).rstrip('`).,;:')}")
        for m in OUTSIDE.finditer(line):
            if "/work/notes" in m.group(1):
                continue
            report(rel, n, f"document outside the repository: {m.group(1)}")
        for m in OLDSPEC.finditer(line):
            report(rel, n, f"old spec name: {m.group(1)}")
        for m in DOCS.finditer(line):
            path = m.group(1)
            if os.path.isfile(os.path.join(root, path)):
                continue
            context = " ".join(lines[max(0, n - 4):n])
            if path.startswith(("docs/design/", "docs/reference/")) and re.search(r"reference|jmcorgan", context, re.I):
                continue
            if path.startswith("docs/spec/"):
                report(rel, n, f"no such note: {path}")
            else:
                report(rel, n, f"no such document in the repository: {path}")
        # sections and labels, each resolved to a note
        marks = [(m.start(), "note", m.group(1)) for m in NOTE.finditer(line)]
        marks += [(m.start(), "sect", m) for m in SECT.finditer(line)]
        marks += [(m.start(1), "label", m.group(1)) for m in LABEL.finditer(line)]
        marks.sort(key=lambda x: x[0])
        current = prev_tail
        seen_note = False
        tail = None
        for pos, kind, val in marks:
            if kind == "note":
                current, seen_note, tail = val, True, val
                continue
            tail = None
            if kind == "sect" and re.search(r"RFC\s*\d+[^§]{0,12}$", line[:pos]):
                continue
            target = current if (seen_note or current) else default
            if target is None:
                if kind == "sect":
                    report(rel, n, f"§{val.group(1)} cited but the file names no docs/spec note")
                continue
            info = note(target)
            if info is None:
                continue  # reported above as "no such note"
            secs, labels = info
            if kind == "sect":
                for s in expand(val.group(1), val.group(2)):
                    if s not in secs:
                        report(rel, n, f"docs/spec/{target}.md has no §{s}")
            elif val not in labels:
                report(rel, n, f"docs/spec/{target}.md has no label {val}")
        prev_tail = tail

for f in findings:
    print(f)
if findings:
    print(f"lint-citations: {len(findings)} finding(s)", file=sys.stderr)
    sys.exit(1)
print("lint-citations: ok")
PY
