"""Compares the statuses the OpenAPI document promises with those the server gave.

Usage: schemathesis_statuses.py [--skip 413,429,503] OPENAPI.json SERVER_LOG...

Reads the request lines of the server logs (`method=GET path=/api/v1/cases/... status=404`)
written during the fuzz runs of one backend, maps each path to its documented operation, and
prints, per operation, the documented statuses that no request got. Informational: a fuzz run
cannot cause every answer (a database outage is 503, a token flood 429, a body over the limit
413: `--skip` leaves those out), but a status listed here that the code cannot give at all is
a documentation bug. Also prints answers given that
are not documented (schemathesis fails on those already; this is the same view over all roles).
"""

import json
import re
import sys

args = sys.argv[1:]
skip = set()
if args[:1] == ["--skip"]:
    skip = set(args[1].split(","))
    args = args[2:]
doc = json.load(open(args[0], encoding="utf-8"))
line_re = re.compile(r"method=(\w+) path=(\S+) status=(\d+)")

operations = {}
for path, item in doc["paths"].items():
    pattern = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$")
    for method, op in item.items():
        if isinstance(op, dict) and "responses" in op:
            documented = {s for s in op["responses"] if s.isdigit()}
            operations[(method.upper(), path)] = (pattern, documented, set())

for log in args[1:]:
    for line in open(log, encoding="utf-8", errors="replace"):
        m = line_re.search(line)
        if not m:
            continue
        method, path, status = m.groups()
        for (op_method, _), (pattern, _, seen) in operations.items():
            if op_method == method and pattern.match(path):
                seen.add(status)
                break

never = []
undocumented = []
for (method, path), (_, documented, seen) in sorted(operations.items(), key=lambda kv: kv[0][1]):
    missing = sorted(documented - seen - skip)
    extra = sorted(seen - documented)
    if missing:
        never.append(f"{method} {path}: {', '.join(missing)}")
    if extra:
        undocumented.append(f"{method} {path}: {', '.join(extra)}")
skipped = f" (not counting {', '.join(sorted(skip))})" if skip else ""
print(f"documented statuses no request got{skipped}: {len(never)} operations")
for line in never:
    print("  " + line)
if undocumented:
    print(f"statuses given but not documented: {len(undocumented)} operations")
    for line in undocumented:
        print("  " + line)
