#!/bin/sh
# demo.sh: the vsock system end to end, as `make demo` runs it.
#
# Starts cfidl-vsockd and two guests in a private runtime directory, runs an
# echo server in guest A, sends 64 MiB through it from the host (its
# HostVsockEndpoint) and again through the Firecracker hybrid socket,
# checking every byte that comes back with sha256sum and cmp, sends a file
# as a VMO from guest B to an echo server of the host, prints a report with throughput, and
# shuts everything down: SIGTERM to the daemon, and the guests leave by
# themselves when it goes.  Only processes this script started are
# signalled, by PID; every wait is bounded.
#
# Environment: VSOCK_BIN (the programs' directory; default: next to this
# script's build), DEMO_MIB (default 64), DEMO_TIMEOUT (seconds per step,
# default 120).
set -u

BIN=${VSOCK_BIN:-${top_builddir:-.}/runtime/vsock/tools}
MIB=${DEMO_MIB:-64}
STEP=${DEMO_TIMEOUT:-120}
PORT=5000

for p in cfidl-vsockd cfidl-vsock-guest cfidl-vsock-cat; do
	if [ ! -x "$BIN/$p" ]; then
		echo "demo: $BIN/$p is missing (build first: make)" >&2
		exit 1
	fi
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/cfidl-vsock-demo.XXXXXX") || exit 1
RUN=$WORK/run
mkdir -m 0700 "$RUN"
PIDS=""
FAILED=0

cleanup() {
	trap - EXIT INT TERM
	for p in $PIDS; do
		kill -TERM "$p" 2>/dev/null
	done
	# Give them 5 s, then SIGKILL what is left (ours only).
	i=0
	while [ $i -lt 50 ]; do
		alive=""
		for p in $PIDS; do
			kill -0 "$p" 2>/dev/null && alive="$alive $p"
		done
		[ -z "$alive" ] && break
		sleep 0.1
		i=$((i + 1))
	done
	for p in $PIDS; do
		kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
	echo "demo: FAILED: $*" >&2
	for f in "$WORK"/*.err; do
		[ -s "$f" ] && { echo "--- $f" >&2; tail -n 5 "$f" >&2; }
	done
	exit 1
}

now() { date +%s.%N; }
# rate BYTES SECONDS -> "N MiB/s"
rate() { awk -v b="$1" -v s="$2" 'BEGIN { if (s <= 0) s = 1e-9; printf "%.1f MiB/s", b / 1048576 / s }'; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

# wait_line FILE SECONDS: until FILE has a first line (a program is ready).
wait_line() {
	i=0
	while [ $i -lt $(($2 * 10)) ]; do
		[ -s "$1" ] && head -n 1 "$1" | grep -q . && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# wait_text FILE TEXT SECONDS
wait_text() {
	i=0
	while [ $i -lt $(($3 * 10)) ]; do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

echo "== cfidl vsock demo (work dir $WORK)"

# 1. The daemon.
"$BIN/cfidl-vsockd" --foreground --dir "$RUN" >"$WORK/daemon.out" 2>"$WORK/daemon.err" &
DAEMON=$!
PIDS="$PIDS $DAEMON"
wait_line "$WORK/daemon.out" 10 || fail "the daemon did not start"
echo "daemon:  pid $DAEMON, runtime directory $(head -n 1 "$WORK/daemon.out")"

# 2. Two guests.
"$BIN/cfidl-vsock-guest" --dir "$RUN" >"$WORK/ga.out" 2>"$WORK/ga.err" &
GA=$!
PIDS="$PIDS $GA"
wait_line "$WORK/ga.out" 10 || fail "guest A did not register"
"$BIN/cfidl-vsock-guest" --dir "$RUN" >"$WORK/gb.out" 2>"$WORK/gb.err" &
GB=$!
PIDS="$PIDS $GB"
wait_line "$WORK/gb.out" 10 || fail "guest B did not register"
CA=$(head -n 1 "$WORK/ga.out")
CB=$(head -n 1 "$WORK/gb.out")
echo "guests:  A cid $CA (pid $GA), B cid $CB (pid $GB)"

# 3. An echo server in guest A, for two connections.
"$BIN/cfidl-vsock-cat" --dir "$RUN" --as "$CA" --echo --count 2 -v "$PORT" \
	>"$WORK/echo.out" 2>"$WORK/echo.err" &
ECHO=$!
PIDS="$PIDS $ECHO"
wait_text "$WORK/echo.err" "listening" 10 || fail "the echo server did not listen"
echo "echo:    guest A port $PORT (pid $ECHO)"

# 4. The data.
head -c $((MIB * 1048576)) /dev/urandom >"$WORK/data" || fail "no data"
SUM=$(sha256sum <"$WORK/data" | cut -d' ' -f1)
BYTES=$((MIB * 1048576))

# check NAME FILE T0 T1: the echo of the data came back whole.
check() {
	got=$(sha256sum <"$2" | cut -d' ' -f1)
	if [ "$got" != "$SUM" ] || ! cmp -s "$WORK/data" "$2"; then
		fail "$1: the echo differs ($(wc -c <"$2") bytes back, sha256 $got)"
	fi
	echo "$1: $MIB MiB each way in $(elapsed "$3" "$4") s, $(rate "$BYTES" "$(elapsed "$3" "$4")") each way, sha256 ok"
}

# 5. From the host, through the guest's HostVsockEndpoint.
t0=$(now)
timeout "$STEP" "$BIN/cfidl-vsock-cat" --dir "$RUN" "$CA" "$PORT" \
	<"$WORK/data" >"$WORK/back1" 2>"$WORK/host.err" || fail "host connection (status $?)"
t1=$(now)
R1=$(check "host -> guest A (endpoint)" "$WORK/back1" "$t0" "$t1") || exit 1
echo "$R1"

# 6. From the hybrid socket, as Firecracker users do (CONNECT <port>).
t0=$(now)
timeout "$STEP" "$BIN/cfidl-vsock-cat" --hybrid "$RUN/vsock-$CA.sock" "$PORT" \
	<"$WORK/data" >"$WORK/back2" 2>"$WORK/hybrid.err" || fail "hybrid connection (status $?)"
t1=$(now)
R2=$(check "host -> guest A (hybrid)  " "$WORK/back2" "$t0" "$t1") || exit 1
echo "$R2"

# 7. A VMO from guest B to an echo server of the host (fuchsia.vsock
# SendVmo: the bytes leave from a mapping of the VMO, not the socket).
HPORT=6000
"$BIN/cfidl-vsock-cat" --dir "$RUN" --echo --count 1 -v "$HPORT" \
	>"$WORK/hecho.out" 2>"$WORK/hecho.err" &
HECHO=$!
PIDS="$PIDS $HECHO"
wait_text "$WORK/hecho.err" "listening" 10 || fail "the host echo server did not listen"
VMO_MIB=16
head -c $((VMO_MIB * 1048576)) /dev/urandom >"$WORK/vmo" || fail "no VMO data"
t0=$(now)
timeout "$STEP" "$BIN/cfidl-vsock-cat" --dir "$RUN" --as "$CB" --send-vmo "$WORK/vmo" \
	2 "$HPORT" >"$WORK/back3" 2>"$WORK/vmo.err" || fail "VMO send (status $?)"
t1=$(now)
cmp -s "$WORK/vmo" "$WORK/back3" || fail "the VMO's echo differs ($(wc -c <"$WORK/back3") bytes back)"
echo "guest B -> host (SendVmo):  $VMO_MIB MiB in $(elapsed "$t0" "$t1") s, $(rate $((VMO_MIB * 1048576)) "$(elapsed "$t0" "$t1")") there and back, echo identical"

# 8. Shut down: the echo servers are done after their connections;
# SIGTERM to the daemon; the guests see it go and leave.
for p in $ECHO $HECHO; do
	i=0
	while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
done
kill -TERM "$DAEMON"
for p in $DAEMON $GA $GB $ECHO $HECHO; do
	i=0
	while kill -0 "$p" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	kill -0 "$p" 2>/dev/null && fail "process $p did not exit"
done
wait "$DAEMON"
DS=$?
[ $DS -eq 0 ] || fail "the daemon exited with status $DS"
left=$(find "$RUN" -name '*.sock' 2>/dev/null | wc -l)
[ "$left" -eq 0 ] || fail "$left socket(s) left in the runtime directory"
echo "shutdown: daemon, guests and echo server exited, no socket left"
echo "== demo ok"
exit 0
