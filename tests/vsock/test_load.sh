#!/bin/sh
# test_load.sh: load across processes (TAP): 2,000 concurrent connections
# from host apps to an echo server in a guest, each moving patterned data
# that is checked byte for byte on the way back, then 1 GiB on one
# connection.  Not a byte may be lost or reordered.  Bounded: ~2 minutes.
# LOAD_CONNS, LOAD_BYTES and LOAD_BIG (bytes) scale it down for slow machines.
set -u
. "${top_srcdir:-$(dirname "$0")/../..}/tests/vsock/vsock_sh.sh"

PORT=6000
CONNS=${LOAD_CONNS:-2000}
EACH=${LOAD_BYTES:-65536}
BIG=${LOAD_BIG:-1073741824}

start_daemon || { echo "1..0 # SKIP the daemon did not start"; exit 0; }
start_guest ga || { echo "Bail out! no guest"; exit 1; }
CA=$G_CID
start_echo echo "$CA" "$PORT" || { echo "Bail out! no echo server"; exit 1; }
BASE=$(fd_count "$DAEMON")

VCAT_TIMEOUT=120 vcat --timeout 110 --load "$CONNS,$EACH" "$CA" "$PORT" >"$WORK/many.out" 2>"$WORK/many.err"
rc=$?
diag "$(cat "$WORK/many.out" "$WORK/many.err" | tail -n 3)"
check "$CONNS concurrent connections x $EACH bytes, every byte checked" test $rc -eq 0

if wait_fds "$DAEMON" "$BASE" 15; then
	ok "the daemon's fds are back to $BASE after the connections closed"
else
	not_ok "the daemon's fds are back to $BASE ($(fd_count "$DAEMON") now)"
fi

VCAT_TIMEOUT=120 vcat --timeout 110 --load "1,$BIG" "$CA" "$PORT" >"$WORK/big.out" 2>"$WORK/big.err"
rc=$?
diag "$(cat "$WORK/big.out" "$WORK/big.err" | tail -n 3)"
check "$BIG bytes on one connection, every byte checked" test $rc -eq 0
check "the daemon is still serving" alive "$DAEMON"
echo "1..$T_N"
[ $T_FAIL -eq 0 ]
