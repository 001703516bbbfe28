#!/bin/sh
# test_udo_system.sh: programs written only against <udo/vsock-tcp.h>
# (examples/vsock-echo) run unchanged over the real stack (TAP): the daemon,
# a guest, the example server inside the guest and the example client as a
# host app, then the other way round, and the errors a seed program sees.
# Every wait is bounded; only our own PIDs are signalled.
set -u
. "${top_srcdir:-$(dirname "$0")/../..}/tests/vsock/vsock_sh.sh"

EX=${top_builddir:-.}/examples/vsock-echo
for p in vsock-echo-server vsock-echo-client; do
	if [ ! -x "$EX/$p" ]; then
		echo "1..0 # SKIP $EX/$p is not built"
		exit 0
	fi
done
export CFIDL_VSOCK_DIR="$RUN"
# exits PID SECONDS: until our child PID has exited (a zombie counts).
exits() {
	i=0
	while [ $i -lt $(($2 * 10)) ]; do
		s=$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)
		[ -z "$s" ] || [ "$s" = Z ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
# client CID PORT MSG as CFIDL_VSOCK_GUEST=$AS, bounded; its output in $WORK/cl.out.
client() {
	CFIDL_VSOCK_GUEST=$AS timeout 20 "$EX/vsock-echo-client" "$@" \
		>"$WORK/cl.out" 2>"$WORK/cl.err"
}

start_daemon || not_ok "daemon starts"
start_guest g && CID=$G_CID
check "a guest of ours runs (CID ${CID:-none})" test -n "${CID:-}"

# --- the example server inside the guest, the client as a host app ------
CFIDL_VSOCK_GUEST=$CID "$EX/vsock-echo-server" 5000 2 >"$WORK/gs.out" 2>"$WORK/gs.err" &
GS=$!
PIDS="$PIDS $GS"
check "example server listens inside guest $CID" wait_text "$WORK/gs.out" "listening on cid $CID port 5000" 10
AS=2
check "example client as a host app gets its echo" client "$CID" 5000 "over the cfidl stack"
check "the echo is the message" grep -qx "over the cfidl stack" "$WORK/cl.out"
check "the server saw the host (CID 2)" wait_text "$WORK/gs.err" "connection from cid 2 port" 5
check "a second connection to the same server" client "$CID" 5000 "twice"
check "the server exits after its 2 connections" exits $GS 10
wait $GS
check "... with status 0" test $? -eq 0

# --- the other way: the server as a host app, the client in the guest ---
CFIDL_VSOCK_GUEST=2 "$EX/vsock-echo-server" 6000 1 >"$WORK/hs.out" 2>"$WORK/hs.err" &
HS=$!
PIDS="$PIDS $HS"
check "example server listens as a host app" wait_text "$WORK/hs.out" "listening on cid 2 port 6000" 10
AS=$CID
check "example client inside the guest reaches the host" client 2 6000 "guest to host"
check "the server saw guest $CID" wait_text "$WORK/hs.err" "connection from cid $CID port" 5
check "the host server exits after its connection" exits $HS 10
wait $HS
check "... with status 0" test $? -eq 0

# --- the seed's errors ---------------------------------------------------
AS=2
client "$CID" 6001 x
check "nothing listening: connect fails" test $? -ne 0
check "... with ECONNREFUSED" grep -q "Connection refused" "$WORK/cl.err"
client 99 5000 x
check "no such guest (host app): connect fails" test $? -ne 0
check "... with ENODEV" grep -q "No such device" "$WORK/cl.err"
AS=99
client 2 6000 x
check "no such guest (CFIDL_VSOCK_GUEST=99): create fails" test $? -ne 0
check "... with ENODEV" grep -q "No such device" "$WORK/cl.err"
AS=abc
client 2 6000 x
check "a malformed CFIDL_VSOCK_GUEST is refused" grep -q "Invalid argument" "$WORK/cl.err"

stop_all
check "the daemon is gone" wait_gone $DAEMON 5
echo "1..$T_N"
[ "$T_FAIL" -eq 0 ]
