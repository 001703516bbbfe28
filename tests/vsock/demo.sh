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

# Checked before vsock_sh.sh, which would skip quietly: the demo fails.
for p in cfidl-vsockd cfidl-vsock-guest cfidl-vsock-cat; do
	if [ ! -x "$BIN/$p" ]; then
		echo "demo: $BIN/$p is missing (build first: make)" >&2
		exit 1
	fi
done

# The work directory, the PIDs we start, the cleanup that signals only
# them, and the bounded waits.
VSOCK_WORK_NAME=cfidl-vsock-demo
. "${top_srcdir:-$(dirname "$0")/../..}/tests/vsock/vsock_sh.sh"

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

echo "== cfidl vsock demo (work dir $WORK)"

# 1. The daemon.
start_daemon || fail "the daemon did not start"
echo "daemon:  pid $DAEMON, runtime directory $(head -n 1 "$WORK/daemon.out")"

# 2. Two guests.
start_guest ga || fail "guest A did not register"
GA=$G_PID CA=$G_CID
start_guest gb || fail "guest B did not register"
GB=$G_PID CB=$G_CID
echo "guests:  A cid $CA (pid $GA), B cid $CB (pid $GB)"

# 3. An echo server in guest A, for two connections.
start_echo echo "$CA" "$PORT" --count 2 || fail "the echo server did not listen"
ECHO=$E_PID
echo "echo:    guest A port $PORT (pid $ECHO)"

# 4. The data.
head -c $((MIB * 1048576)) /dev/urandom >"$WORK/data" || fail "no data"
SUM=$(sha256sum <"$WORK/data" | cut -d' ' -f1)
BYTES=$((MIB * 1048576))

# check_echo NAME FILE T0 T1: the echo of the data came back whole.
check_echo() {
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
R1=$(check_echo "host -> guest A (endpoint)" "$WORK/back1" "$t0" "$t1") || exit 1
echo "$R1"

# 6. From the hybrid socket, as Firecracker users do (CONNECT <port>).
t0=$(now)
timeout "$STEP" "$BIN/cfidl-vsock-cat" --hybrid "$RUN/vsock-$CA.sock" "$PORT" \
	<"$WORK/data" >"$WORK/back2" 2>"$WORK/hybrid.err" || fail "hybrid connection (status $?)"
t1=$(now)
R2=$(check_echo "host -> guest A (hybrid)  " "$WORK/back2" "$t0" "$t1") || exit 1
echo "$R2"

# 7. A VMO from guest B to an echo server of the host (fuchsia.vsock
# SendVmo: the bytes leave from a mapping of the VMO, not the socket).
HPORT=6000
start_echo hecho host "$HPORT" --count 1 || fail "the host echo server did not listen"
HECHO=$E_PID
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
	wait_gone "$p" 5
done
kill -TERM "$DAEMON"
for p in $DAEMON $GA $GB $ECHO $HECHO; do
	wait_gone "$p" 10 || fail "process $p did not exit"
done
wait "$DAEMON"
DS=$?
[ $DS -eq 0 ] || fail "the daemon exited with status $DS"
left=$(find "$RUN" -name '*.sock' 2>/dev/null | wc -l)
[ "$left" -eq 0 ] || fail "$left socket(s) left in the runtime directory"
echo "shutdown: daemon, guests and echo server exited, no socket left"
echo "== demo ok"
exit 0
