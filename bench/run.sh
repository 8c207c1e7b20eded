#!/usr/bin/env bash
# Load benchmark (issue 7). One command:
#
#     bash bench/run.sh
#
# For SQLite and for PostgreSQL: build the release binary, fill a fresh database with a
# realistic volume, serve it, drive it over loopback with wrk at several concurrency levels,
# measure the same work in-process and the database's raw commit rate, and write
# bench/results-<backend>.md. See bench/README.md for what each figure means.
#
# Settings (environment):
#   BENCH_BACKENDS="sqlite postgres"   which backends, in this order
#   BENCH_SCALE=1                      data volume (1: 500 contracts, 20,000 factories, 100,000 cases)
#   BENCH_DURATION=10                  seconds per measurement
#   BENCH_CONCURRENCY="1 4 16"         wrk connections per run
#   BENCH_WARMUP=2                     seconds of unrecorded load before each request kind
#   BENCH_PG_URL=postgres://postgres@127.0.0.1:5432/test   (a fresh schema, BENCH_PG_SCHEMA, is used)
#   BENCH_PG_SCHEMA=bench_load
#   BENCH_PORT=18080
#   BENCH_SERVER_CPU=1 BENCH_LOAD_CPU=0  cores for the server and for the load generator
#   BENCH_KEEP=0                       1: keep the databases (bench/out/sqlite/bench.db, the schema)
#   BENCH_REUSE=0                      1: measure a database an earlier BENCH_KEEP=1 run kept
#                                      (no seed; for profiling: each run's writes stay, e.g. the
#                                      in-process reference's findings grow the first
#                                      contractor's cases, so compare runs on a fresh seed)
#   BENCH_ONLY=''                      a grep -E pattern: measure only the requests it names
#                                      (e.g. 'leverage|exposure|scorecard|reports|portfolio of');
#                                      the references and server figures are measured all the same
#   BENCH_RESULTS=results              the results files: bench/<BENCH_RESULTS>-<backend>.md
#   BENCH_INSTANCES=1                  0: skip the two instances behind haproxy (PostgreSQL only)
#   BENCH_SWEEP=1                      0: skip the sweep cost (benches/sweep.rs) at
#   BENCH_SWEEP_SIZES=10000,1000000    these numbers of open cases
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

BACKENDS=${BENCH_BACKENDS:-sqlite postgres}
export BENCH_SCALE=${BENCH_SCALE:-1}
export BENCH_DURATION=${BENCH_DURATION:-10}
CONCURRENCY=${BENCH_CONCURRENCY:-1 4 16}
WARMUP=${BENCH_WARMUP:-2}
PG_URL=${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/test}
PG_SCHEMA=${BENCH_PG_SCHEMA:-bench_load}
PORT=${BENCH_PORT:-18080}
SERVER_CPU=${BENCH_SERVER_CPU:-1}
LOAD_CPU=${BENCH_LOAD_CPU:-0}
KEEP=${BENCH_KEEP:-0}
# A reused database is kept again: it took minutes to fill.
if [ "${BENCH_REUSE:-0}" = 1 ]; then KEEP=1; fi
STARTS=3
OUT=$ROOT/bench/out
BIN=$OUT/bin
export BENCH_LUA=$ROOT/bench/lua
BASE=http://127.0.0.1:$PORT

say() { printf '\n== %s\n' "$*" >&2; }
die() { printf 'bench: %s\n' "$*" >&2; exit 1; }
ms_now() { echo $(($(date +%s%N) / 1000000)); }

SERVER_PID=""
stop_server() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=""
}
drop_databases() {
    if [ "$KEEP" = 1 ]; then return 0; fi
    rm -f "$OUT"/sqlite/bench.db "$OUT"/sqlite/bench.db-wal "$OUT"/sqlite/bench.db-shm
    if command -v psql >/dev/null && [[ " $BACKENDS " == *" postgres "* ]]; then
        psql -q "$PG_URL" -c "DROP SCHEMA IF EXISTS $PG_SCHEMA CASCADE" >/dev/null 2>&1 || true
    fi
}
declare -A SEEDING=()
# Processes of the several-instances run (two servers, haproxy, the mail sink).
EXTRA_PIDS=()
cleanup() {
    local pid
    for pid in "${EXTRA_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${SEEDING[@]}"; do
        if kill -0 "$pid" 2>/dev/null; then
            pkill -TERM -P "$pid" 2>/dev/null || true
            kill -TERM "$pid" 2>/dev/null || true
        fi
    done
    stop_server
    drop_databases
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- tools -----------------------------------------------------------------------------------
# The load generator and helpers come from the distribution's packages, installed when absent.
need_packages=()
for tool in wrk:wrk curl:curl jq:jq taskset:util-linux; do
    command -v "${tool%%:*}" >/dev/null || need_packages+=("${tool#*:}")
done
if [[ " $BACKENDS " == *" postgres "* ]] && [ "${BENCH_INSTANCES:-1}" = 1 ]; then
    for tool in haproxy:haproxy python3:python3; do
        command -v "${tool%%:*}" >/dev/null || need_packages+=("${tool#*:}")
    done
fi
if [[ " $BACKENDS " == *" postgres "* ]]; then
    for tool in psql:postgresql-client pgbench:postgresql-contrib pg_isready:postgresql-client; do
        command -v "${tool%%:*}" >/dev/null || need_packages+=("${tool#*:}")
    done
fi
if [ "${#need_packages[@]}" -gt 0 ]; then
    say "installing ${need_packages[*]} (apt-get)"
    command -v apt-get >/dev/null || die "missing: ${need_packages[*]}; install them"
    sudo_=""; [ "$(id -u)" = 0 ] || sudo_=sudo
    $sudo_ apt-get install -y "${need_packages[@]}" >/dev/null 2>&1 ||
        { $sudo_ apt-get update >/dev/null && $sudo_ apt-get install -y "${need_packages[@]}" >/dev/null; } ||
        die "could not install ${need_packages[*]}"
fi
command -v cargo >/dev/null || die "cargo is missing"
if [[ " $BACKENDS " == *" postgres "* ]]; then
    pg_isready -q -d "$PG_URL" || die "PostgreSQL does not answer at $PG_URL"
fi
[ "$(nproc)" -ge 2 ] || die "needs two cores (one for the server, one for the load generator)"
if curl -s -o /dev/null "$BASE/healthz"; then die "port $PORT is in use; set BENCH_PORT"; fi

STARTED=$(date +%s)
mkdir -p "$BIN" "$OUT/sqlite" "$OUT/postgres"

# --- build -----------------------------------------------------------------------------------
# Copies of both binaries are run, so that a rebuild during the run changes nothing.
say "build: cargo build --release; cargo bench --bench load --no-run"
# The executables are found from cargo's own report, so CARGO_TARGET_DIR is honoured.
SERVE_EXE=$(cargo build --release --message-format=json |
    jq -r 'select(.reason == "compiler-artifact" and .target.name == "ketenzorg" and .executable != null) | .executable')
[ -x "$SERVE_EXE" ] || die "no release executable for ketenzorg"
cp "$SERVE_EXE" "$BIN/ketenzorg"
LOAD_EXE=$(cargo bench --bench load --no-run --message-format=json |
    jq -r 'select(.reason == "compiler-artifact" and .target.name == "load") | .executable')
[ -x "$LOAD_EXE" ] || die "no bench executable for load"
cp "$LOAD_EXE" "$BIN/load"
SWEEP_EXE=$(cargo bench --bench sweep --no-run --message-format=json |
    jq -r 'select(.reason == "compiler-artifact" and .target.name == "sweep") | .executable')
[ -x "$SWEEP_EXE" ] || die "no bench executable for sweep"
cp "$SWEEP_EXE" "$BIN/sweep"
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
DIRTY=$(git status --porcelain 2>/dev/null | grep -cv '^??' || true)

# --- helpers ---------------------------------------------------------------------------------
# start_server URL LOG: spawns serve pinned to SERVER_CPU; sets SERVER_PID and STARTUP_MS (spawn
# to the first /readyz answered 200).
start_server() {
    local url=$1 log=$2 t0
    t0=$(ms_now)
    DATABASE_URL=$url BIND=127.0.0.1:$PORT LOG_LEVEL=warn \
        KETENZORG_SWEEP_INTERVAL=off KETENZORG_MAIL_INTERVAL=off \
        taskset -c "$SERVER_CPU" "$BIN/ketenzorg" serve >>"$log" 2>&1 &
    SERVER_PID=$!
    while [ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/readyz" || true)" != 200 ]; do
        kill -0 "$SERVER_PID" 2>/dev/null || die "the server exited; see $log"
        [ $(($(ms_now) - t0)) -lt 120000 ] || die "the server is not ready after 120 s; see $log"
        sleep 0.002
    done
    STARTUP_MS=$(($(ms_now) - t0))
}

kb() { awk -v k="$1" '$1 == k":" { print $2 }' "/proc/$SERVER_PID/status"; }
mb() { awk -v v="$1" 'BEGIN { printf "%.1f", v / 1024 }'; }
field() { sed -n "s/.*[ ]$1=\([^ ]*\).*/\1/p" <<<"$2" | head -1; }

# run_wrk NAME CONNECTIONS SCRIPT [VAR=VALUE...]: one wrk run pinned to LOAD_CPU, recorded in
# RESULTS when NAME is not "warmup".
run_wrk() {
    local name=$1 conns=$2 script=$3 seconds=$BENCH_DURATION raw line
    shift 3
    if [ "$name" = warmup ]; then seconds=$WARMUP; fi
    [ "$seconds" != 0 ] || return 0
    raw=$(env "$@" taskset -c "$LOAD_CPU" wrk -t1 -c"$conns" -d"${seconds}s" --timeout 10s \
        -s "$BENCH_LUA/$script" "$BASE")
    line=$(grep '^BENCH_RESULT' <<<"$raw" || true)
    [ -n "$line" ] || die "wrk gave no result for $name: $raw"
    if [ "$name" != warmup ]; then
        # The server's peak RSS so far (VmHWM only grows): the run that raises it shows here.
        local hwm="-"
        if [ -n "$SERVER_PID" ]; then hwm=$(mb "$(kb VmHWM)"); fi
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$conns" "$(field rps "$line")" \
            "$(field p50_ms "$line")" "$(field p99_ms "$line")" \
            "$(( $(field non2xx "$line") + $(field socket_errors "$line") ))" "$hwm" >>"$RESULTS"
        printf '  %-34s c=%-3s %9s req/s  p50 %8s ms  p99 %8s ms  errors %s\n' "$name" "$conns" \
            "$(field rps "$line")" "$(field p50_ms "$line")" "$(field p99_ms "$line")" \
            "$(( $(field non2xx "$line") + $(field socket_errors "$line") ))" >&2
    fi
    grep '^BENCH_POOL' <<<"$raw" >&2 || true
    # wrk stops at its deadline, but the server still works through the requests it left in
    # flight, up to one per connection; they would queue ahead of the next run's first
    # requests (a 0.6 s report left by four connections delays the next run by 2 s). One more
    # request of the same kind, sent alone, is answered once they are done (the server's
    # threads share its core): the next run starts on an idle server.
    drain "$@"
}

# drain [VAR=VALUE...]: one request to BENCH_PATH (with BENCH_TOKEN or BENCH_COOKIE), waited
# for; nothing for runs without a single path (the POST scripts, lists of paths).
drain() {
    local kv path="" token="" cookie=""
    for kv in "$@"; do
        case $kv in
        BENCH_PATH=*) path=${kv#BENCH_PATH=} ;;
        BENCH_TOKEN=*) token=${kv#BENCH_TOKEN=} ;;
        BENCH_COOKIE=*) cookie=${kv#BENCH_COOKIE=} ;;
        esac
    done
    [ -n "$path" ] || return 0
    local auth=()
    if [ -n "$token" ]; then auth=(-H "Authorization: Bearer $token"); fi
    if [ -n "$cookie" ]; then auth=(-H "Cookie: kz_session=$cookie"); fi
    curl -s -o /dev/null --max-time 60 "${auth[@]}" "$BASE$path" || true
}

# load NAME SCRIPT [VAR=VALUE...]: warm-up, then one run per concurrency level.
load() {
    local name=$1 script=$2
    shift 2
    # BENCH_ONLY (a grep -E pattern): measure only the requests it names.
    if [ -n "${BENCH_ONLY:-}" ] && ! grep -qE "$BENCH_ONLY" <<<"$name"; then return 0; fi
    run_wrk warmup 4 "$script" "$@"
    for c in $CONCURRENCY; do run_wrk "$name" "$c" "$script" "$@"; done
}

# Share of both cores busy over one second (anything: other work on the machine included).
cpu_busy() {
    local a b
    a=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $5 + $6 }' /proc/stat)
    sleep 1
    b=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $5 + $6 }' /proc/stat)
    awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " "); busy = y[1] - x[1]; idle = y[2] - x[2]; printf "%.0f%%", 100 * busy / (busy + idle + 1e-9) }'
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

# --- seeding -----------------------------------------------------------------------------------
url_of() {
    case $1 in
    sqlite) echo "sqlite://$OUT/sqlite/bench.db" ;;
    postgres)
        local sep='?'
        if [[ $PG_URL == *\?* ]]; then sep='&'; fi
        echo "$PG_URL${sep}options=-csearch_path%3D$PG_SCHEMA"
        ;;
    *) die "unknown backend $1 (sqlite, postgres)" ;;
    esac
}
label_of() { case $1 in sqlite) echo SQLite ;; postgres) echo PostgreSQL ;; esac; }

# seed BACKEND: a fresh database (file, or schema), filled; log and timing in OUT/BACKEND.
seed() {
    local b=$1 dir=$OUT/$1 t0
    rm -f "$dir"/bench.db "$dir"/bench.db-wal "$dir"/bench.db-shm "$dir"/pool.txt "$dir"/pool.state
    if [ "$b" = postgres ]; then
        psql -q "$PG_URL" -c "DROP SCHEMA IF EXISTS $PG_SCHEMA CASCADE" -c "CREATE SCHEMA $PG_SCHEMA" >/dev/null 2>&1
    fi
    t0=$(ms_now)
    "$BIN/load" seed "$(url_of "$b")" "$dir"
    echo $(($(ms_now) - t0)) >"$dir/seed.ms"
}

# The two fills are independent (one is mostly this process, the other mostly PostgreSQL):
# run them side by side to keep the whole run short.
say "seed: a fresh database per backend, BENCH_SCALE=$BENCH_SCALE (logs in bench/out/<backend>/seed.log)"
# kept BACKEND: an earlier BENCH_KEEP=1 run left this backend's database and its env.sh.
kept() {
    [ -f "$OUT/$1/env.sh" ] && [ -f "$OUT/$1/seed.ms" ] || return 1
    case $1 in
    sqlite) [ -f "$OUT/sqlite/bench.db" ] ;;
    postgres) [ "$(psql -qAt "$PG_URL" -c "SELECT count(*) FROM information_schema.tables WHERE table_schema = '$PG_SCHEMA' AND table_name = 'cases'" 2>/dev/null)" = 1 ] ;;
    esac
}
for b in $BACKENDS; do
    url_of "$b" >/dev/null
    if [ "${BENCH_REUSE:-0}" = 1 ] && kept "$b"; then
        say "seed: $b reuses the database an earlier run kept (BENCH_REUSE=1)"
        continue
    fi
    seed "$b" >"$OUT/$b/seed.log" 2>&1 &
    SEEDING[$b]=$!
done
for b in $BACKENDS; do
    [ -n "${SEEDING[$b]:-}" ] || continue
    if ! wait "${SEEDING[$b]}"; then
        cat "$OUT/$b/seed.log" >&2
        die "seeding $b failed"
    fi
    sed "s/^/  $b: /" "$OUT/$b/seed.log" >&2
done
# The fills wrote gigabytes: flush them now, not during the measurements.
sync

# values_of TABLE WHERE CASES: "INSERT INTO TABLE (every column) VALUES (the values of the row
# WHERE selects, as literals)", with a new id and the columns named in CASES ("WHEN 'col' THEN
# 'sql'") replaced.
# pgq SQL: one query in the benchmark's PostgreSQL schema, its rows unaligned.
pgq() { PGOPTIONS="-c search_path=$PG_SCHEMA" psql -qAt -v ON_ERROR_STOP=1 "$PG_URL" -c "$1"; }

values_of() {
    pgq "
        SELECT 'INSERT INTO $1 (' || string_agg(quote_ident(j.key), ', ' ORDER BY j.n) || ') VALUES (' ||
            string_agg(CASE j.key WHEN 'id' THEN 'gen_random_uuid()::text' $3
                ELSE coalesce(quote_literal(j.value), 'NULL') END, ', ' ORDER BY j.n) || ')'
        FROM $1 t, json_each_text(row_to_json(t)) WITH ORDINALITY AS j(key, value, n)
        WHERE $2"
}

# --- one backend -----------------------------------------------------------------------------
bench_backend() {
    local backend=$1 dir=$OUT/$1 url label
    url=$(url_of "$backend")
    label=$(label_of "$backend")
    RESULTS=$dir/results.tsv
    : >"$RESULTS"
    local log=$dir/server.log
    : >"$log"
    local loadavg busy
    loadavg=$(cut -d' ' -f1-3 /proc/loadavg)
    busy=$(cpu_busy)
    local seed_s
    seed_s=$(awk -v ms="$(cat "$dir/seed.ms")" 'BEGIN { printf "%.0f", ms / 1000 }')
    local counts
    counts=$("$BIN/load" counts "$url")
    say "$label: rows"
    echo "$counts" >&2
    # shellcheck disable=SC1091
    source "$dir/env.sh"

    say "$label: start-up on the filled database ($STARTS starts, spawn to first /readyz 200)"
    local starts=() rss_idle_kb
    for i in $(seq 1 "$STARTS"); do
        start_server "$url" "$log"
        starts+=("$STARTUP_MS")
        echo "  start $i: $STARTUP_MS ms" >&2
        if [ "$i" -lt "$STARTS" ]; then stop_server; fi
    done
    local startup_ms
    startup_ms=$(printf '%s\n' "${starts[@]}" | median)
    sleep 1
    rss_idle_kb=$(kb VmRSS)

    say "$label: HTTP load (wrk -t1 on core $LOAD_CPU; server on core $SERVER_CPU; ${BENCH_DURATION}s per run)"
    # Each finding must reach two contractors.
    local answer n_cases
    answer=$(curl -s -X POST "$BASE/api/v1/findings" -H "Authorization: Bearer $BENCH_MONITOR_TOKEN" \
        -H 'Content-Type: application/json' \
        -d "{\"factory_id\":\"$BENCH_FACTORY_ID\",\"category\":\"wages\",\"severity\":\"major\",\"title\":\"Check\",\"description\":\"Routing check\",\"observed_on\":\"$(date -u -d yesterday +%F)\"}")
    n_cases=$(jq '.cases | length' <<<"$answer" 2>/dev/null || echo "?")
    [ "$n_cases" = 2 ] || die "a finding at a shared factory should open 2 cases, got: $answer"
    load "POST /findings (2 cases each)" findings.lua \
        BENCH_MONITOR_TOKEN="$BENCH_MONITOR_TOKEN" BENCH_FACTORIES="$dir/factories.txt"
    local list='/api/v1/cases?state=open&severity=major&limit=50'
    load "GET /cases open+major (monitor)" get.lua BENCH_TOKEN="$BENCH_MONITOR_TOKEN" BENCH_PATH="$list"
    load "GET /cases open+major (buyer)" get.lua BENCH_TOKEN="$BENCH_BUYER_TOKEN" BENCH_PATH="$list"
    sed 's|^|/api/v1/contracts/|; s|$|/due-diligence|' "$dir/contracts.txt" >"$dir/due-diligence-paths.txt"
    load "GET /contracts/{id}/due-diligence" get.lua BENCH_TOKEN="$BENCH_BUYER_TOKEN" \
        BENCH_PATHS="$dir/due-diligence-paths.txt"
    local dd_note
    dd_note="as the buyer, over its $(wc -l <"$dir/contracts.txt") contracts in turn"
    load "GET /contracts/{id}/due-diligence, 10,000 cases" get.lua BENCH_TOKEN="$BENCH_BUYER_TOKEN" \
        BENCH_PATH="/api/v1/contracts/$BENCH_BIG_CONTRACT_ID/due-diligence"
    local n_portfolio
    n_portfolio=$(sed -n 's/^contracts=//p' <<<"$counts")
    load "GET /due-diligence (portfolio of $n_portfolio contracts)" get.lua BENCH_TOKEN="$BENCH_MONITOR_TOKEN" \
        BENCH_PATH="/api/v1/due-diligence?limit=100"
    # Web pages against the API read that shows the same figures, as the same organization in
    # the same run: the page's throughput over the API's is the figure to watch.
    say "$label: web pages (session cookie) beside their API reads (token)"
    local a_case
    a_case=$(curl -s "$BASE/api/v1/cases?limit=1" -H "Authorization: Bearer $BENCH_CONTRACTOR_TOKEN" | jq -r '.items[0].id')
    [ -n "$a_case" ] && [ "$a_case" != null ] || die "the contractor has no case to show"
    sed 's|^|/contracts/|' "$dir/contracts.txt" >"$dir/contract-pages.txt"
    load "API: portfolio (buyer)" get.lua BENCH_TOKEN="$BENCH_BUYER_TOKEN" BENCH_PATH="/api/v1/due-diligence?limit=100"
    load "page: portfolio /contracts (buyer)" get.lua BENCH_COOKIE="$BENCH_BUYER_COOKIE" BENCH_PATH="/contracts"
    load "page: contract /contracts/{id} (buyer)" get.lua BENCH_COOKIE="$BENCH_BUYER_COOKIE" \
        BENCH_PATHS="$dir/contract-pages.txt"
    load "API: cases (contractor)" get.lua BENCH_TOKEN="$BENCH_CONTRACTOR_TOKEN" BENCH_PATH="/api/v1/cases?limit=50"
    load "page: inbox /cases (contractor)" get.lua BENCH_COOKIE="$BENCH_CONTRACTOR_COOKIE" BENCH_PATH="/cases"
    load "API: case (contractor)" get.lua BENCH_TOKEN="$BENCH_CONTRACTOR_TOKEN" BENCH_PATH="/api/v1/cases/$a_case"
    load "page: case /cases/{id} (contractor)" get.lua BENCH_COOKIE="$BENCH_CONTRACTOR_COOKIE" BENCH_PATH="/cases/$a_case"
    # Leverage, the contractor scorecard and the yearly report over the whole seeded volume.
    say "$label: leverage, scorecard and yearly report"
    local year_from year_to
    year_to=$(date -u +%F)
    year_from=$(date -u -d '1 year ago' +%F)
    load "GET /leverage (monitor, first 100 of all factories)" get.lua BENCH_TOKEN="$BENCH_MONITOR_TOKEN" \
        BENCH_PATH="/api/v1/leverage?limit=100"
    load "GET /factories/{id}/exposure (monitor)" get.lua BENCH_TOKEN="$BENCH_MONITOR_TOKEN" \
        BENCH_PATH="/api/v1/factories/$BENCH_FACTORY_ID/exposure"
    load "GET /organizations/{id}/scorecard (buyer, a year)" get.lua BENCH_TOKEN="$BENCH_BUYER_TOKEN" \
        BENCH_PATH="/api/v1/organizations/$BENCH_CONTRACTOR_ID/scorecard?from=$year_from&to=$year_to"
    load "GET /reports/due-diligence (buyer, a year)" get.lua BENCH_TOKEN="$BENCH_BUYER_TOKEN" \
        BENCH_PATH="/api/v1/reports/due-diligence?from=$year_from&to=$year_to"
    "$BIN/load" pool "$url" "$dir"
    local pool_size
    pool_size=$(wc -l <"$dir/pool.txt")
    load "POST /cases/{id}/transitions ack" acknowledge.lua \
        BENCH_POOL="$dir/pool.txt" BENCH_POOL_STATE="$dir/pool.state"
    local pool_used
    pool_used=$(cat "$dir/pool.state" 2>/dev/null || echo 0)
    sleep 2
    local rss_after_kb hwm_kb
    rss_after_kb=$(kb VmRSS)
    hwm_kb=$(kb VmHWM)
    stop_server

    say "$label: in-process reference (findings::service::file in write_tx, one connection, ${BENCH_DURATION}s)"
    local inproc raw_line pgb1="" pgb8=""
    inproc=$("$BIN/load" inprocess "$url" "$dir" | grep '^BENCH_RESULT')
    echo "  $inproc" >&2
    say "$label: raw commit rate (the rows of one filing per transaction)"
    raw_line=$("$BIN/load" raw "$url" "$dir" | grep '^BENCH_RESULT')
    echo "  in-process INSERT loop: $raw_line" >&2
    if [ "$backend" = postgres ]; then
        local script=$dir/pgbench.sql table where var arms
        {
            echo "-- The rows of one filing per transaction (bench/out/postgres/raw-template.plan): the"
            echo "-- template rows' values as literals, new ids (gen_random_uuid), linked to each other by"
            echo "-- pgbench variables (simple protocol: pgbench substitutes :fid, :c0, :e0 as text)."
            echo "BEGIN;"
            while IFS='|' read -r table where var arms; do
                if [ -n "$var" ]; then
                    echo "$(values_of "$table" "$where" "$arms") RETURNING id AS $var \\gset"
                else
                    echo "$(values_of "$table" "$where" "$arms");"
                fi
            done <"$dir/raw-template.plan"
            echo "COMMIT;"
        } >"$script"
        for c in 1 8; do
            local tps
            tps=$(PGOPTIONS="-c search_path=$PG_SCHEMA" taskset -c "$LOAD_CPU" \
                pgbench -n -f "$script" -c "$c" -j 1 -T "$BENCH_DURATION" "$PG_URL" 2>&1 |
                sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -1 | awk '{ printf "%.1f", $1 }')
            [ -n "$tps" ] || die "pgbench -c $c failed; run it by hand with $script"
            echo "  pgbench -c $c: $tps tx/s" >&2
            if [ "$c" = 1 ]; then pgb1=$tps; else pgb8=$tps; fi
        done
    fi

    # --- results file ------------------------------------------------------------------------
    local file=$ROOT/bench/${BENCH_RESULTS:-results}-$backend.md
    local inproc_rate raw_rate http1 httpbest ref_raw
    inproc_rate=$(field rate "$inproc")
    raw_rate=$(field rate "$raw_line")
    http1=$(awk -F'\t' '$1 ~ /^POST \/findings/ && $2 == 1 { print $3 }' "$RESULTS")
    httpbest=$(awk -F'\t' '$1 ~ /^POST \/findings/ { if ($3 > m) m = $3 } END { print m + 0 }' "$RESULTS")
    ref_raw=${pgb1:-$raw_rate}
    ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
    {
        echo "# Load benchmark: $label"
        echo
        echo "\`bash bench/run.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'), commit $COMMIT$([ "$DIRTY" != 0 ] && echo " with $DIRTY uncommitted changed files"),"
        echo "$(nproc) cores ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), BENCH_SCALE=$BENCH_SCALE, BENCH_DURATION=${BENCH_DURATION}s$([ -n "${BENCH_ONLY:-}" ] && echo ", only the requests matching BENCH_ONLY='$BENCH_ONLY'")."
        echo "Server \`ketenzorg serve\` (release build) pinned to core $SERVER_CPU, wrk (one thread) pinned to core $LOAD_CPU,"
        echo "over loopback; $([ "$backend" = postgres ] && echo "PostgreSQL 15 on the same host, not pinned (it shares both cores)" || echo "SQLite in WAL mode, synchronous=NORMAL, in the server process")."
        echo "Server settings: defaults (KETENZORG_POOL_SIZE $([ "$backend" = sqlite ] && echo 4 || echo 10); KETENZORG_WORKERS unset, so one HTTP worker per"
        echo "core the process may use: 1 under taskset), LOG_LEVEL=warn, sweeper and mail sender off."
        echo "When this backend's measurements began: load average $loadavg, CPU busy $busy over 1 s (other work on"
        echo "the machine skews the figures). Server log: $(grep -c . "$log" || true) lines at warn level or above."
        echo
        echo "Data (seeded in ${seed_s}s, $( [ "$(wc -w <<<"$BACKENDS")" -gt 1 ] && echo "side by side with the other backend's fill" || echo "alone"); counts before the load):"
        echo "$counts" | awk -F= '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $2, $1 } END { print "." }'
        echo
        echo "| request | connections | requests/s | median (ms) | p99 (ms) | errors | server peak RSS so far (MiB) |"
        echo "|---|---:|---:|---:|---:|---:|---:|"
        awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7 }' "$RESULTS"
        echo
        echo "- POST /findings: as the monitor, at $(wc -l <"$dir/factories.txt") factories in turn that two contractors' contracts source from; every finding is routed and opens two cases (checked before the run)."
        echo "- GET /cases: \`$list\`, the first page, as the monitor and as a buyer."
        echo "- due-diligence: $dd_note; then one contract with ${BENCH_BIG_CASES:-10000} cases (the seed's big contract, 70% acknowledged, 30% with an accepted plan), as its buyer; then the portfolio as the monitor, who sees every contract (first page of 100, figures computed over all of them)."
        echo "- web pages: as a person of the same buyer (portfolio, its contracts in turn) or contractor (inbox, one case) with a session cookie, beside the API read of the same figures with the organization's token. A page also renders its template and reads what the API read leaves to other calls (the case page: its events, factory and contracts; the contract page: coverage, supply chain and the 12-week chart)."
        echo "- issue 17: the leverage ranking (first page of 100, ranked over every factory) and one shared factory's exposure as the monitor; the scorecard of the seed's first contractor and the yearly due-diligence report over the last 12 months as the buyer."
        echo "- transitions: \`{\"action\":\"acknowledge\"}\` as the case's contractor, each request on a different open case (a shuffled pool of $pool_size open cases, $pool_used used; errors would be 409s from a used-up pool)."
        echo
        echo "| reference | per second | median (ms) | p99 (ms) |"
        echo "|---|---:|---:|---:|"
        echo "| in-process: \`findings::service::file\` in \`db::write_tx\`, one connection (findings; $(field statements_per_finding "$inproc") statements each) | $inproc_rate | $(field p50_ms "$inproc") | $(field p99_ms "$inproc") |"
        echo "| raw: the rows one filing writes ($(field rows_per_transaction "$raw_line") single-row INSERTs: the finding, its cases and their contract links, events and notifications) per transaction, in-process diesel, one connection | $raw_rate | $(field p50_ms "$raw_line") | $(field p99_ms "$raw_line") |"
        if [ -n "$pgb1" ]; then
            echo "| raw: the same rows with \`pgbench -n -f bench/out/postgres/pgbench.sql -c 1\` (transactions) | $pgb1 | | |"
            echo "| raw: the same rows with \`pgbench -n -f bench/out/postgres/pgbench.sql -c 8 -j 1\` (transactions) | $pgb8 | | |"
        fi
        echo
        echo "| server | value |"
        echo "|---|---:|"
        echo "| start-up on the filled database: spawn to first \`/readyz\` 200 (median of $STARTS: ${starts[*]} ms) | $startup_ms ms |"
        echo "| RSS idle after start-up (VmRSS) | $(mb "$rss_idle_kb") MiB |"
        echo "| RSS idle after the load (VmRSS) | $(mb "$rss_after_kb") MiB |"
        echo "| peak RSS during the load (VmHWM) | $(mb "$hwm_kb") MiB |"
        echo
        echo "| page ÷ API read (requests/s at the same connections) | connections | ratio |"
        echo "|---|---:|---:|"
        local pair page api
        for pair in "page: portfolio /contracts (buyer)|API: portfolio (buyer)" \
            "page: contract /contracts/{id} (buyer)|GET /contracts/{id}/due-diligence" \
            "page: inbox /cases (contractor)|API: cases (contractor)" \
            "page: case /cases/{id} (contractor)|API: case (contractor)"; do
            page=${pair%%|*}; api=${pair#*|}
            for c in $CONCURRENCY; do
                echo "| $page ÷ $api | $c | $(ratio "$(awk -F'\t' -v n="$page" -v c="$c" '$1 == n && $2 == c { print $3 }' "$RESULTS")" \
                    "$(awk -F'\t' -v n="$api" -v c="$c" '$1 == n && $2 == c { print $3 }' "$RESULTS")") |"
            done
        done
        echo
        echo "| read (issue 17) | connections | requests/s ÷ the portfolio's (GET /due-diligence, monitor) | p99 (ms) |"
        echo "|---|---:|---:|---:|"
        local read portfolio_rate
        for read in "GET /leverage (monitor, first 100 of all factories)" \
            "GET /factories/{id}/exposure (monitor)" \
            "GET /organizations/{id}/scorecard (buyer, a year)" \
            "GET /reports/due-diligence (buyer, a year)"; do
            for c in $CONCURRENCY; do
                portfolio_rate=$(awk -F'\t' -v c="$c" '$1 ~ /^GET \/due-diligence \(portfolio/ && $2 == c { print $3 }' "$RESULTS")
                echo "| $read | $c | $(ratio "$(awk -F'\t' -v n="$read" -v c="$c" '$1 == n && $2 == c { print $3 }' "$RESULTS")" "$portfolio_rate") | $(awk -F'\t' -v n="$read" -v c="$c" '$1 == n && $2 == c { print $5 }' "$RESULTS") |"
            done
        done
        echo
        echo "| ratio | value |"
        echo "|---|---:|"
        echo "| service / in-process: HTTP findings/s at 1 connection ÷ in-process findings/s | $(ratio "$http1" "$inproc_rate") |"
        echo "| service / in-process: best HTTP findings/s (any concurrency) ÷ in-process findings/s | $(ratio "$httpbest" "$inproc_rate") |"
        echo "| in-process / raw: in-process findings/s ÷ raw transactions/s ($([ -n "$pgb1" ] && echo "pgbench -c 1" || echo "INSERT loop"), one connection) | $(ratio "$inproc_rate" "$ref_raw") |"
    } >"$file"
    say "$label: written to bench/${BENCH_RESULTS:-results}-$backend.md"
    cat "$file"
}

# --- several instances (PostgreSQL) ----------------------------------------------------------
# Two `ketenzorg serve` processes on the one PostgreSQL database behind haproxy, with their
# sweepers and mail senders on, under the filing and acknowledging load. A deadline policy of
# seconds (bench/out/postgres/fast-policy.toml) makes every case filed in this run fall due
# while the load goes on: its reminders and three escalations are raised by whichever sweeper
# claims it, and its mails sent by whichever sender leases them, to a mail sink that records
# each message's Message-ID. Afterwards the database and the sink are counted: nothing doubled,
# nothing lost. Appends its section to the PostgreSQL results file.
bench_instances() {
    local dir=$OUT/postgres url file
    url=$(url_of postgres)
    file=$ROOT/bench/${BENCH_RESULTS:-results}-postgres.md
    local p1=$((PORT + 1)) p2=$((PORT + 2)) smtp=$((PORT + 3))
    local sink=$dir/sink.txt log=$dir/instances.log cfg=$dir/haproxy.cfg policy=$dir/fast-policy.toml
    : >"$sink"
    : >"$log"
    say "several instances: two serve processes behind haproxy on PostgreSQL, sweepers and mail on"
    # Mail the earlier parts of the run left pending (their server had its sender off) is
    # marked sent, so that the senders work on this part's mail alone.
    local t0 seeded_pending
    t0=$(pgq "SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')")
    seeded_pending=$(pgq "WITH u AS (UPDATE notifications SET status = 'sent', sent_at = created_at
        WHERE status = 'pending' RETURNING 1) SELECT count(*) FROM u")
    echo "  $seeded_pending earlier pending mails marked sent; the run starts at $t0 UTC" >&2
    {
        echo 'reminder_before = "4s"'
        for sev in critical major minor; do
            printf '[%s]\nacknowledge = "8s"\nplan = "16s"\nremediation = "24s"\n' "$sev"
        done
    } >"$policy"
    python3 "$ROOT/bench/smtp_sink.py" "$smtp" "$sink" &
    EXTRA_PIDS+=($!)
    local port pids=()
    for port in $p1 $p2; do
        DATABASE_URL=$url BIND=127.0.0.1:$port LOG_LEVEL=warn KETENZORG_POLICY_FILE=$policy \
            KETENZORG_SWEEP_INTERVAL=1s KETENZORG_MAIL_INTERVAL=1s \
            KETENZORG_SMTP_URL="smtp://127.0.0.1:$smtp?tls=none" \
            taskset -c "$SERVER_CPU" "$BIN/ketenzorg" serve >>"$log" 2>&1 &
        pids+=($!)
        EXTRA_PIDS+=($!)
    done
    for port in $p1 $p2; do
        local waited=0
        while [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz" || true)" != 200 ]; do
            [ $waited -lt 60000 ] || die "instance on port $port is not ready; see $log"
            sleep 0.05
            waited=$((waited + 50))
        done
    done
    cat >"$cfg" <<CFG
global
    maxconn 4096
defaults
    mode http
    timeout connect 5s
    timeout client 60s
    timeout server 60s
frontend bench
    bind 127.0.0.1:$PORT
    default_backend instances
backend instances
    balance roundrobin
    server a 127.0.0.1:$p1
    server b 127.0.0.1:$p2
CFG
    taskset -c "$SERVER_CPU" haproxy -db -f "$cfg" >>"$log" 2>&1 &
    EXTRA_PIDS+=($!)
    while [ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/readyz" || true)" != 200 ]; do sleep 0.05; done

    local single=$RESULTS
    RESULTS=$dir/instances.tsv
    : >"$RESULTS"
    local c
    run_wrk warmup 4 findings.lua BENCH_MONITOR_TOKEN="$BENCH_MONITOR_TOKEN" BENCH_FACTORIES="$dir/factories.txt"
    for c in $CONCURRENCY; do
        run_wrk "two instances: POST /findings" "$c" findings.lua \
            BENCH_MONITOR_TOKEN="$BENCH_MONITOR_TOKEN" BENCH_FACTORIES="$dir/factories.txt"
    done
    "$BIN/load" pool "$url" "$dir"
    echo 0 >"$dir/pool.state"
    for c in $CONCURRENCY; do
        run_wrk "two instances: POST /cases/{id}/transitions ack" "$c" acknowledge.lua \
            BENCH_POOL="$dir/pool.txt" BENCH_POOL_STATE="$dir/pool.state"
    done
    # The sweepers finish what fell due: every case of this run climbs to level 3 24 s after
    # it opened; wait until nothing is due (at most 5 minutes), then give the senders up to a
    # minute more. Mail still queued then is counted as queued: sending is one SMTP exchange
    # per mail, far slower than raising the events.
    local t_load_end due pending waited=0
    t_load_end=$(date +%s)
    sleep 26
    while :; do
        due=$(pgq "SELECT count(*) FROM cases WHERE next_action_at <= now() AT TIME ZONE 'UTC'")
        [ "$due" = 0 ] || [ $waited -ge 300 ] && break
        sleep 1
        waited=$((waited + 1))
    done
    local swept_s=$(($(date +%s) - t_load_end))
    waited=0
    while :; do
        pending=$(pgq "SELECT count(*) FROM notifications WHERE status = 'pending'
            AND next_attempt_at <= now() AT TIME ZONE 'UTC'")
        [ "$pending" = 0 ] || [ $waited -ge 60 ] && break
        sleep 1
        waited=$((waited + 1))
    done
    local settle_s=$(($(date +%s) - t_load_end))
    # The servers first (each finishes the mail it is sending), then haproxy and the sink.
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    for pid in "${EXTRA_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    sleep 0.5
    EXTRA_PIDS=()

    # Counted in the database and at the sink.
    local since="at >= '$t0'" cases_run escalations reminders dup_escalations levels missing_notes dup_notes
    cases_run=$(pgq "SELECT count(*) FROM cases WHERE opened_at >= '$t0'")
    escalations=$(pgq "SELECT count(*) FROM case_events WHERE kind = 'escalated' AND $since")
    reminders=$(pgq "SELECT count(*) FROM case_events WHERE kind = 'reminder' AND $since")
    dup_escalations=$(pgq "SELECT count(*) FROM (SELECT case_id FROM case_events WHERE kind = 'escalated' AND $since
        GROUP BY case_id, payload::jsonb->>'deadline', payload::jsonb->>'level', payload::jsonb->>'deadline_at'
        HAVING count(*) > 1) d")
    levels=$(pgq "SELECT count(*) FROM cases WHERE opened_at >= '$t0' AND state <> 'closed' AND escalation_level < 3
        AND acknowledged_at IS NULL")
    missing_notes=$(pgq "SELECT count(*) FROM case_events e WHERE e.kind IN ('escalated', 'reminder') AND e.$since
        AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.event_id = e.id)")
    dup_notes=$(pgq "SELECT count(*) FROM (SELECT 1 FROM notifications WHERE created_at >= '$t0' AND event_id IS NOT NULL
        GROUP BY event_id, recipient_email, kind HAVING count(*) > 1) d")
    local sent_rows received dup_received lost extra
    # A mail is one row, or one digest of several rows named by its first: a non-digest row
    # marked sent must have arrived; whatever arrived must be a row marked sent (a digest's
    # first row included), else its send was cut off by the stop before it was recorded.
    pgq "SELECT id FROM notifications WHERE sent_at >= '$t0' AND status = 'sent' AND NOT digest ORDER BY 1" >"$dir/sent.txt"
    pgq "SELECT id FROM notifications WHERE sent_at >= '$t0' AND status = 'sent' ORDER BY 1" >"$dir/sent-all.txt"
    sent_rows=$(wc -l <"$dir/sent.txt")
    sed 's/^<\([^@>]*\).*/\1/' "$sink" | sort >"$dir/received.txt"
    received=$(wc -l <"$dir/received.txt")
    dup_received=$(uniq -d "$dir/received.txt" | wc -l)
    lost=$(comm -23 "$dir/sent.txt" <(uniq "$dir/received.txt") | wc -l)
    extra=$(comm -13 "$dir/sent-all.txt" <(uniq "$dir/received.txt") | wc -l)
    echo "  cases $cases_run, reminders $reminders, escalations $escalations; mails sent $sent_rows, received $received" >&2
    local ratio_of
    ratio_of() {
        local name=$1 c=$2 two one
        two=$(awk -F'\t' -v n="two instances: $name" -v c="$c" '$1 == n && $2 == c { print $3 }' "$RESULTS")
        one=$(awk -F'\t' -v n="$name" -v c="$c" 'index($1, n) == 1 && $2 == c { print $3 }' "$single")
        awk -v a="$two" -v b="$one" 'BEGIN { if (b > 0) printf "%s | %s | %.2f", b, a, a / b; else printf "%s | %s | n/a", b, a }'
    }
    {
        echo
        echo "## Two instances behind haproxy (PostgreSQL)"
        echo
        echo "Two \`ketenzorg serve\` processes on this database, behind haproxy (round robin), all three pinned to"
        echo "core $SERVER_CPU (the one core the single instance had), wrk on core $LOAD_CPU. Each instance sweeps every"
        echo "second and sends mail every second (SMTP to \`bench/smtp_sink.py\`, which records each message's"
        echo "Message-ID). Deadline policy in seconds (\`bench/out/postgres/fast-policy.toml\`: acknowledge 8 s, plan"
        echo "16 s, remediation 24 s, reminders 4 s before), so every case filed in this run falls due during it."
        echo "The $seeded_pending mails the earlier parts of the run left pending (sender off) were marked sent first."
        echo
        echo "| request | connections | one instance, requests/s | two instances, requests/s | two ÷ one |"
        echo "|---|---:|---:|---:|---:|"
        for c in $CONCURRENCY; do
            echo "| POST /findings (2 cases each) | $c | $(ratio_of "POST /findings" "$c") |"
        done
        for c in $CONCURRENCY; do
            echo "| POST /cases/{id}/transitions ack | $c | $(ratio_of "POST /cases/{id}/transitions ack" "$c") |"
        done
        echo
        echo "Counted after the load: nothing was due ${swept_s}s after it ended ($due cases due at the end of that wait); the"
        echo "senders then had until ${settle_s}s after it, when $pending mails were still queued (pending, due: not lost)."
        echo
        echo "| count | value |"
        echo "|---|---:|"
        echo "| cases opened in this run | $cases_run |"
        echo "| reminders / escalations raised in this run | $reminders / $escalations |"
        echo "| escalations doubled (same case, deadline, level and instant more than once) | $dup_escalations |"
        echo "| cases of this run, never acknowledged, short of level 3 (an escalation lost) | $levels |"
        echo "| reminders and escalations without their notification rows | $missing_notes |"
        echo "| notification rows doubled (same event, address, kind) | $dup_notes |"
        echo "| mails marked sent in this run (not digests) / received by the sink | $sent_rows / $received |"
        echo "| mails received twice (same Message-ID) | $dup_received |"
        echo "| mails marked sent but not received (lost) / received but not marked sent (cut off by the stop; sent again, same Message-ID) | $lost / $extra |"
        echo "| server log lines at warn or above (both instances, haproxy) | $(grep -c . "$log" || true) |"
        echo "| swept (nothing due) after the load / the sweep's part of that: the 24 s deadlines | ${swept_s} s / 24 s |"
    } >>"$file"
    RESULTS=$single
    tail -32 "$file"
}

# bench_sweep BACKEND: the sweep's cost per due case at 10,000 and 1,000,000 open cases
# (benches/sweep.rs: fresh databases of their own, 1,000 due), appended to the results file.
bench_sweep() {
    local backend=$1 file table
    file=$ROOT/bench/${BENCH_RESULTS:-results}-$backend.md
    say "$(label_of "$backend"): sweep of 1,000 due cases at ${BENCH_SWEEP_SIZES:-10000,1000000} open (benches/sweep.rs)"
    table=$(BENCH_SIZES=${BENCH_SWEEP_SIZES:-10000,1000000} BENCH_BACKENDS=$backend BENCH_DATABASE_URL=$PG_URL \
        taskset -c "$SERVER_CPU" "$BIN/sweep" | grep '^|')
    echo "$table" >&2
    {
        echo
        echo "## Sweep: 1,000 due cases among N open (\`benches/sweep.rs\`, pinned to core $SERVER_CPU)"
        echo
        echo "$table"
        echo
        echo "Per swept case: $(awk -F'|' '$3 ~ /^ *[0-9]+ *$/ { printf "%s%.2f ms at %s open", (n++ ? ", " : ""), $5 / $4, $3 }' <<<"$table" | tr -s ' ')."
    } >>"$file"
}

for b in $BACKENDS; do
    bench_backend "$b"
    if [ "$b" = postgres ] && [ "${BENCH_INSTANCES:-1}" = 1 ]; then bench_instances; fi
    if [ "${BENCH_SWEEP:-1}" = 1 ]; then bench_sweep "$b"; fi
done
say "done in $(($(date +%s) - STARTED)) s"
