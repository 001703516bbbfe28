#!/bin/sh
# test_system.sh: the vsock system across processes (TAP): cfidl-vsockd,
# guests and apps as separate programs, and the faults of issue 4 that
# only show there: a guest killed mid-transfer, a host app that never
# reads, bad and oversized hybrid CONNECT lines, a flood of connections
# on the daemon's sockets, the registry's refusals, and socat on the
# hybrid socket.  Every wait is bounded; only our own PIDs are signalled.
set -u
. "${top_srcdir:-$(dirname "$0")/../..}/tests/vsock/vsock_sh.sh"

PORT=5000
PY=$(command -v python3 || true)

# --- start: daemon, two guests, an echo server in guest A ---------------
if start_daemon; then ok "daemon starts and prints its runtime directory"; else not_ok "daemon starts"; fi
check "runtime directory is mode 0700" test "$(stat -c %a "$RUN")" = 700
start_guest ga && CA=$G_CID && GA=$G_PID
start_guest gb && CB=$G_CID && GB=$G_PID
check "two guests get CIDs 3 and 4" test "${CA:-}:${CB:-}" = "3:4"
modes=$(stat -c %a "$RUN"/*.sock 2>/dev/null | sort -u | tr '\n' ' ')
check "every socket is mode 0600 ($modes)" test "$modes" = "600 "
for f in registry.sock endpoint-3.sock vsock-3.sock connector-3.sock endpoint-4.sock vsock-4.sock connector-4.sock; do
	[ -S "$RUN/$f" ] || missing="${missing:-} $f"
done
check "the sockets of the daemon and both guests exist${missing:+ (missing$missing)}" test -z "${missing:-}"
start_echo echo "$CA" "$PORT"
ECHO=$E_PID

# --- the registry's refusals --------------------------------------------
"$BIN/cfidl-vsock-guest" --dir "$RUN" --cid 3 --timeout 5 >/dev/null 2>"$WORK/dup.err"
rc=$?
check "a guest asking for a taken CID is refused (status $rc)" test $rc -ne 0
"$BIN/cfidl-vsock-guest" --dir "$RUN" --cid 2 --timeout 5 >/dev/null 2>"$WORK/res.err"
rc=$?
check "a guest asking for the host's CID 2 is refused (status $rc)" test $rc -ne 0
"$BIN/cfidl-vsockd" --foreground --dir "$RUN" >/dev/null 2>"$WORK/second.err" &
p=$!
wait_gone $p 10
wait $p
rc=$?
check "a second daemon on the same directory is refused (status $rc)" test $rc -ne 0

# --- echo from the host, and the daemon's baseline fds ------------------
head -c 4194304 /dev/urandom >"$WORK/d4"
vcat "$CA" "$PORT" <"$WORK/d4" >"$WORK/b4" 2>"$WORK/c1.err"
check "host app to guest echo: 4 MiB back identical" cmp -s "$WORK/d4" "$WORK/b4"
sleep 0.5
BASE=$(fd_count "$DAEMON")
diag "daemon fds at rest: $BASE"

# --- a guest killed with SIGKILL mid-transfer ---------------------------
start_guest gc && CC=$G_CID && GC=$G_PID
start_echo echoc "$CC" "$PORT"
ECHOC=$E_PID
# 1 GiB of zeros: far more than fits in flight, so it is mid-transfer.
(head -c 1073741824 /dev/zero | timeout 30 "$BIN/cfidl-vsock-cat" --dir "$RUN" "$CC" "$PORT" \
	>"$WORK/killed.out" 2>"$WORK/killed.err"; echo $? >"$WORK/killed.rc") &
PIPE=$!
PIDS="$PIDS $PIPE"
i=0
while [ "$(stat -c %s "$WORK/killed.out" 2>/dev/null || echo 0)" -lt 1048576 ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
check "data flows to guest C before the kill" test "$(stat -c %s "$WORK/killed.out")" -ge 1048576
kill -KILL "$GC"
wait_gone "$PIPE" 15
check "the host app's connection ends within 15 s of the guest's SIGKILL" test ! -e /proc/$PIPE
got=$(stat -c %s "$WORK/killed.out")
diag "host app got $got bytes back, status $(cat "$WORK/killed.rc" 2>/dev/null)"
check "the host app did not see a clean full echo" test "$got" -lt 1073741824
# An AF_UNIX connection has no RST: the reset shows as EPIPE or ECONNRESET.
check "the host app sees its connection reset ($(cat "$WORK/killed.err"))" \
	sh -c "test \"\$(cat '$WORK/killed.rc')\" != 0 && grep -q -i 'broken pipe\\|reset' '$WORK/killed.err'"

check "the daemon survives the guest's death" alive "$DAEMON"
i=0
while [ -S "$RUN/endpoint-$CC.sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
check "the dead guest's endpoint and hybrid sockets are removed" \
	test ! -e "$RUN/endpoint-$CC.sock" -a ! -e "$RUN/vsock-$CC.sock"
# The echo app of guest C saw its guest go; ours to reap.
wait_gone "$ECHOC" 5 || kill -KILL "$ECHOC" 2>/dev/null
if wait_fds "$DAEMON" "$BASE" 10; then
	ok "no fd growth in the daemon after the guest's death ($(fd_count "$DAEMON") <= $BASE)"
else
	not_ok "no fd growth in the daemon after the guest's death ($(fd_count "$DAEMON") > $BASE)"
fi
vcat "$CA" "$PORT" <"$WORK/d4" >"$WORK/b4b" 2>"$WORK/c2.err"
check "the daemon keeps serving: 4 MiB echo from guest A again" cmp -s "$WORK/d4" "$WORK/b4b"

# --- a host app that never reads stalls only its own connection ---------
mkfifo "$WORK/stall"
sleep 60 <"$WORK/stall" &
SLEEPER=$!
PIDS="$PIDS $SLEEPER"
timeout 60 "$BIN/cfidl-vsock-cat" --dir "$RUN" "$CA" "$PORT" </dev/zero >"$WORK/stall" 2>"$WORK/stall.err" &
STALL=$!
PIDS="$PIDS $STALL"
sleep 1
vcat "$CA" "$PORT" <"$WORK/d4" >"$WORK/b4c" 2>"$WORK/c3.err"
check "a stalled reader does not stall another connection (4 MiB echo)" cmp -s "$WORK/d4" "$WORK/b4c"
check "the stalled connection is still open (held by credit, not dropped)" alive "$STALL"
kill -TERM "$STALL" "$SLEEPER" 2>/dev/null
wait_gone "$STALL" 5

# --- the hybrid socket: bad lines, floods, socat -------------------------
HY=$RUN/vsock-$CA.sock
if [ -n "$PY" ]; then
	"$PY" - "$HY" "$PORT" >"$WORK/hybrid.log" 2>&1 <<'EOF'
import socket, sys, time
path, port = sys.argv[1], int(sys.argv[2])
def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(path)
    return s
def answer(s):
    try:
        data = s.recv(100)
    except (ConnectionResetError, socket.timeout) as e:
        return repr(e)
    return data
bad = 0
# A partial line, then the peer goes: refused, nothing else.
s = conn(); s.sendall(b"CONNECT 50"); s.shutdown(socket.SHUT_WR)
a = answer(s); print("partial:", a); bad += a.startswith(b"OK") if isinstance(a, bytes) else 0; s.close()
# An oversized line.
s = conn()
try:
    s.sendall(b"CONNECT " + b"9" * 100000 + b"\n")
except (BrokenPipeError, ConnectionResetError):
    pass
a = answer(s); print("oversized:", a[:40]); bad += a.startswith(b"OK") if isinstance(a, bytes) else 0; s.close()
# Not a CONNECT line; a port nobody listens on.
for line in (b"HELLO\n", b"CONNECT -1\n", b"CONNECT 77\n"):
    s = conn(); s.sendall(line)
    a = answer(s); print(line, a); bad += a.startswith(b"OK") if isinstance(a, bytes) else 0; s.close()
# A slow client holding a partial line does not block the others.
slow = conn(); slow.sendall(b"CONN")
s = conn(); s.sendall(b"CONNECT %d\n" % port)
a = b""
t = time.time()
while b"\n" not in a and time.time() - t < 5:
    a += s.recv(100)
s.sendall(b"ping")
while b"ping" not in a and time.time() - t < 5:
    a += s.recv(100)
print("beside a slow one:", a)
ok_slow = a.startswith(b"OK ") and a.endswith(b"ping")
s.close(); slow.close()
print("RESULT", "ok" if bad == 0 and ok_slow else "bad")
EOF
	check "hybrid: partial, oversized and bad CONNECT lines refused; a slow client blocks nobody" \
		grep -q "RESULT ok" "$WORK/hybrid.log"
	"$PY" - "$HY" "$RUN/registry.sock" "$RUN/endpoint-$CA.sock" >"$WORK/flood.log" 2>&1 <<'EOF'
import socket, sys
# 3,000 connections at once on each socket, none saying anything: the
# backlog fills; the daemon must refuse cleanly or queue, never block.
held = []
for path, kind in ((sys.argv[1], socket.SOCK_STREAM), (sys.argv[2], socket.SOCK_SEQPACKET), (sys.argv[3], socket.SOCK_SEQPACKET)):
    n = refused = 0
    for i in range(1000):
        s = socket.socket(socket.AF_UNIX, kind)
        s.setblocking(False)
        try:
            s.connect(path)
            held.append(s); n += 1
        except (BlockingIOError, ConnectionRefusedError, OSError):
            refused += 1; s.close()
    print(path, "connected", n, "refused", refused)
for s in held:
    s.close()
print("RESULT ok")
EOF
	check "a flood of idle connections on the daemon's sockets" grep -q "RESULT ok" "$WORK/flood.log"
	sleep 1
	vcat "$CA" "$PORT" <"$WORK/d4" >"$WORK/b4d" 2>"$WORK/c4.err"
	check "the daemon keeps serving after bad lines and the flood" cmp -s "$WORK/d4" "$WORK/b4d"
else
	skip "hybrid: bad CONNECT lines" "python3 not installed"
	skip "a flood of idle connections" "python3 not installed"
	skip "the daemon keeps serving after the flood" "python3 not installed"
fi
vcat --hybrid "$HY" "$PORT" <"$WORK/d4" >"$WORK/b4e" 2>"$WORK/c5.err"
check "hybrid: 4 MiB echo through CONNECT" cmp -s "$WORK/d4" "$WORK/b4e"
if command -v socat >/dev/null 2>&1; then
	# As a user types it: the line, then data a moment later.
	(printf 'CONNECT %s\n' "$PORT"; sleep 0.5; printf 'hello from socat\n') |
		timeout 10 socat -t 5 - "UNIX-CONNECT:$HY" >"$WORK/socat.out" 2>"$WORK/socat.err"
	check "socat - UNIX-CONNECT:<hybrid socket> reaches the guest's listener" \
		sh -c "head -n 1 '$WORK/socat.out' | grep -q '^OK [0-9][0-9]*\$' && grep -q 'hello from socat' '$WORK/socat.out'"
else
	skip "socat reaches the guest's listener" "socat not installed"
fi

# --- transport reset (SIGHUP) with a live connection and a live listener --
(head -c 1073741824 /dev/zero | timeout 30 "$BIN/cfidl-vsock-cat" --dir "$RUN" "$CA" "$PORT" \
	>"$WORK/reset.out" 2>"$WORK/reset.err"; echo $? >"$WORK/reset.rc") &
PIPE=$!
PIDS="$PIDS $PIPE"
i=0
while [ "$(stat -c %s "$WORK/reset.out" 2>/dev/null || echo 0)" -lt 1048576 ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
kill -HUP "$DAEMON"
wait_gone "$PIPE" 15
check "SIGHUP (transport reset) ends the live connection" test ! -e /proc/$PIPE
check "after the reset the connection did not complete ($(cat "$WORK/reset.err"))" \
	test "$(stat -c %s "$WORK/reset.out")" -lt 1073741824
check "the daemon and the guest survive the reset" sh -c "kill -0 $DAEMON && kill -0 $GA"
vcat "$CA" "$PORT" <"$WORK/d4" >"$WORK/b4f" 2>"$WORK/c6.err"
check "the guest's listener survives the reset: 4 MiB echo again" cmp -s "$WORK/d4" "$WORK/b4f"

# --- clean shutdown --------------------------------------------------------
kill -TERM "$DAEMON"
wait_gone "$DAEMON" 10
wait "$DAEMON"
rc=$?
check "SIGTERM: the daemon exits 0 (status $rc)" test $rc -eq 0
wait_gone "$GA" 10 && wait_gone "$GB" 10
check "the guests leave when the daemon goes" test ! -e /proc/$GA -a ! -e /proc/$GB
wait_gone "$ECHO" 10 || kill -TERM "$ECHO" 2>/dev/null
left=$(find "$RUN" -name '*.sock' | tr '\n' ' ')
# (guest C's connector socket too: the daemon removes a dead guest's stale
# connector socket.)
check "no socket is left in the runtime directory ($left)" test -z "$left"
echo "1..$T_N"
[ $T_FAIL -eq 0 ]
