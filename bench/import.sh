#!/usr/bin/env bash
# Disclosure import benchmark (issue 16). One command:
#
#     bash bench/import.sh
#
# For each backend and list size: a fresh database and server (release build), a contractor
# with one contract, then one request that commits a generated list of N rows (N/100 product
# models with 10 components each, each component made at 10 factories, N/10 distinct
# factories in 5 countries), then the same file again (every row unchanged). Reports the time
# of each request, rows per second, and the server's peak RSS (VmHWM) against its RSS at idle,
# so that growth with the file's size shows. Writes bench/results-import.md.
#
# Settings: BENCH_BACKENDS="sqlite postgres", BENCH_IMPORT_ROWS="5000 50000", BENCH_PORT=18090,
# BENCH_PG_URL=postgres://postgres@127.0.0.1:5432/test (schema bench_import, dropped after).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BACKENDS=${BENCH_BACKENDS:-sqlite postgres}
SIZES=${BENCH_IMPORT_ROWS:-5000 50000}
PORT=${BENCH_PORT:-18090}
PG_URL=${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/test}
PG_SCHEMA=bench_import
OUT=$ROOT/bench/out/import
BASE=http://127.0.0.1:$PORT
mkdir -p "$OUT"

say() { printf '\n== %s\n' "$*" >&2; }
die() { printf 'bench: %s\n' "$*" >&2; exit 1; }
for tool in curl jq awk; do command -v $tool >/dev/null || die "$tool is missing"; done
if curl -s -o /dev/null "$BASE/healthz"; then die "port $PORT is in use; set BENCH_PORT"; fi

say "build: cargo build --release"
EXE=$(cargo build --release --message-format=json |
    jq -r 'select(.reason == "compiler-artifact" and .target.name == "ketenzorg" and .executable != null) | .executable')
[ -x "$EXE" ] || die "no release executable"
cp "$EXE" "$OUT/ketenzorg"
BIN=$OUT/ketenzorg

SERVER_PID=""
stop() {
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    SERVER_PID=""
}
cleanup() {
    stop
    rm -f "$OUT"/bench.db*
    psql -q "$PG_URL" -c "DROP SCHEMA IF EXISTS $PG_SCHEMA CASCADE" >/dev/null 2>&1 || true
}
trap cleanup EXIT

url_of() {
    case $1 in
    sqlite) echo "sqlite://$OUT/bench.db" ;;
    postgres) echo "$PG_URL?options=-csearch_path%3D$PG_SCHEMA" ;;
    esac
}
fresh() {
    rm -f "$OUT"/bench.db*
    if [ "$1" = postgres ]; then
        psql -q "$PG_URL" -c "DROP SCHEMA IF EXISTS $PG_SCHEMA CASCADE" -c "CREATE SCHEMA $PG_SCHEMA" >/dev/null
    fi
}
start() {
    DATABASE_URL=$1 BIND=127.0.0.1:$PORT LOG_LEVEL=warn KETENZORG_SWEEP_INTERVAL=off \
        KETENZORG_MAIL_INTERVAL=off KETENZORG_MAX_UPLOAD_BYTES=268435456 \
        "$BIN" serve >>"$OUT/server.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 600); do
        [ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/readyz" || true)" = 200 ] && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || die "the server exited; see $OUT/server.log"
        sleep 0.05
    done
    die "the server is not ready"
}
kb() { awk -v k="$1" '$1 == k":" { print $2 }' "/proc/$SERVER_PID/status"; }
mib() { awk -v v="$1" 'BEGIN { printf "%.1f", v / 1024 }'; }

# gen N FILE: the list (semicolons, as Excel in a Belgian locale writes it).
gen() {
    awk -v n="$1" 'BEGIN {
        print "contract references;product model;component path;factory name;address;country;OS ID;tier;valid from;valid to"
        split("CN VN MY TH TW", cc, " ")
        for (i = 0; i < n; i++) {
            m = int(i / 100); c = int(i / 10) % 10; f = (m * 10 + (i % 10)) % (n / 10)
            printf "K-1;Laptop model %d;Board %d > Part %d;Factory %d Electronics Co., Ltd.;%d Industrial Road, Zone %d;%s;;%d;2026-01-01;\n",
                m, c, c, f, f, f % 50, cc[(f % 5) + 1], 2 + (c % 2)
        }
    }' >"$2"
}

post() { # post FILE TOKEN -> "seconds http_code", report in $OUT/report.json
    curl -s -o "$OUT/report.json" -w '%{time_total} %{http_code}\n' -X POST \
        "$BASE/api/v1/disclosures?dry_run=false" -H "Authorization: Bearer $2" \
        -H 'Content-Type: text/csv' --data-binary "@$1"
}

RESULTS=$OUT/results.tsv
: >"$RESULTS"
for backend in $BACKENDS; do
    for n in $SIZES; do
        say "$backend: $n rows"
        file=$OUT/list-$n.csv
        [ -s "$file" ] || gen "$n" "$file"
        fresh "$backend"
        url=$(url_of "$backend")
        admin=$(DATABASE_URL=$url LOG_LEVEL=warn "$BIN" admin-token | awk '{ print $NF }')
        start "$url"
        buyer=$(curl -s -X POST "$BASE/api/v1/organizations" -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
            -d '{"name":"Buyer","kind":"buyer","country":"BE","notification_emails":["b@buyer.example.org"]}' | jq -r .id)
        contractor=$(curl -s -X POST "$BASE/api/v1/organizations" -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
            -d '{"name":"Contractor","kind":"contractor","country":"BE","notification_emails":["c@contractor.example.org"]}' | jq -r .id)
        token=$(curl -s -X POST "$BASE/api/v1/tokens" -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
            -d "{\"organization_id\":\"$contractor\",\"label\":\"bench\"}" | jq -r .token)
        curl -s -o /dev/null -X POST "$BASE/api/v1/contracts" -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
            -d "{\"reference\":\"K-1\",\"title\":\"Laptops\",\"buyer_id\":\"$buyer\",\"contractor_id\":\"$contractor\",\"starts_on\":\"2026-01-01\",\"ends_on\":\"2028-12-31\"}"
        idle=$(kb VmRSS)
        read -r first code < <(post "$file" "$token")
        [ "$code" = 200 ] || die "the import answered $code: $(head -c 500 "$OUT/report.json")"
        created=$(jq .created "$OUT/report.json")
        [ "$created" = "$n" ] || die "expected $n created, got $created"
        factories=$(jq .details.factories_created "$OUT/report.json")
        hwm1=$(kb VmHWM)
        read -r again code < <(post "$file" "$token")
        [ "$code" = 200 ] || die "the re-send answered $code"
        unchanged=$(jq .unchanged "$OUT/report.json")
        [ "$unchanged" = "$n" ] || die "expected $n unchanged, got $unchanged"
        hwm2=$(kb VmHWM)
        stop
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$backend" "$n" "$(du -k "$file" | cut -f1)" "$factories" \
            "$first" "$again" "$idle" "$hwm1" "$hwm2" >>"$RESULTS"
        echo "  commit ${first}s, re-send ${again}s; RSS idle $(mib "$idle") MiB, peak $(mib "$hwm2") MiB" >&2
    done
done

{
    echo "# Disclosure import benchmark"
    echo
    echo "\`bash bench/import.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown),"
    echo "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end. One request per import (\`POST /api/v1/disclosures?dry_run=false\`,"
    echo "the file as \`text/csv\`), a fresh database and server (release build) per row; PostgreSQL 15 on the same host."
    echo
    echo "| backend | rows | file (KiB) | factories created | commit (s) | rows/s | same file again (s) | rows/s | RSS idle (MiB) | peak RSS (MiB) |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    awk -F'\t' '{ printf "| %s | %d | %d | %d | %.2f | %.0f | %.2f | %.0f | %.1f | %.1f |\n", $1, $2, $3, $4, $5, $2 / $5, $6, $2 / $6, $7 / 1024, $9 / 1024 }' "$RESULTS"
    echo
    echo "| backend | time per row, 50,000 ÷ 5,000 rows (commit) | peak RSS growth over idle, 50,000 ÷ 5,000 rows |"
    echo "|---|---:|---:|"
    for b in $BACKENDS; do
        awk -F'\t' -v b="$b" '$1 == b { t[$2] = $5 / $2; g[$2] = $9 - $7 } END {
            if (t[5000] > 0 && t[50000] > 0) printf "| %s | %.2f | %.2f |\n", b, t[50000] / t[5000], (g[5000] > 0 ? g[50000] / g[5000] : 0) }' "$RESULTS"
    done
    echo
    echo "A time-per-row ratio near 1 means the import is linear in the file's size; 10 would be quadratic."
    echo "Peak RSS growth is the server's VmHWM after both imports minus its RSS at idle."
} >"$ROOT/bench/results-import.md"
cat "$ROOT/bench/results-import.md"
