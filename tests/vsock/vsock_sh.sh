# vsock_sh.sh: shell helpers of the multi-process vsock tests (sourced).
#
# TAP output (ok/not ok/skip), a private runtime directory, starting the
# daemon, guests and apps in the background with their PIDs remembered,
# bounded waits, and a cleanup that signals only those PIDs.

BIN=${VSOCK_BIN:-${top_builddir:-.}/runtime/vsock/tools}
T_N=0
T_FAIL=0
PIDS=""

ok() { T_N=$((T_N + 1)); echo "ok $T_N - $*"; }
not_ok() { T_N=$((T_N + 1)); T_FAIL=$((T_FAIL + 1)); echo "not ok $T_N - $*"; }
skip() { T_N=$((T_N + 1)); echo "ok $T_N - $1 # SKIP $2"; }
# check NAME COMMAND...: ok if the command succeeds.
check() {
	name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}
diag() { echo "# $*"; }

for p in cfidl-vsockd cfidl-vsock-guest cfidl-vsock-cat; do
	if [ ! -x "$BIN/$p" ]; then
		echo "1..0 # SKIP $BIN/$p is not built"
		exit 0
	fi
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/${VSOCK_WORK_NAME:-cfidl-vsock-test}.XXXXXX") || exit 1
RUN=$WORK/run
mkdir -m 0700 "$RUN"

# Stops what we started: SIGTERM, 5 s, then SIGKILL; only our PIDs.
stop_all() {
	for p in $PIDS; do kill -TERM "$p" 2>/dev/null; done
	i=0
	while [ $i -lt 50 ]; do
		alive=""
		for p in $PIDS; do kill -0 "$p" 2>/dev/null && alive="$alive $p"; done
		[ -z "$alive" ] && break
		sleep 0.1
		i=$((i + 1))
	done
	for p in $PIDS; do kill -KILL "$p" 2>/dev/null; done
	wait 2>/dev/null
	PIDS=""
}
finish() {
	trap - EXIT INT TERM
	stop_all
	if [ "${KEEP_WORK:-}" = 1 ]; then diag "kept $WORK"; else rm -rf "$WORK"; fi
}
trap finish EXIT
trap 'exit 130' INT TERM

# alive PID
alive() { kill -0 "$1" 2>/dev/null; }

# wait_line FILE SECONDS: until FILE has a first line.
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
# wait_gone PID SECONDS
wait_gone() {
	i=0
	while alive "$1" && [ $i -lt $(($2 * 10)) ]; do sleep 0.1; i=$((i + 1)); done
	! alive "$1"
}
# fd_count PID: open fds of a process of ours.
fd_count() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
# wait_fds PID N SECONDS: until PID has at most N fds (cleanup is async).
wait_fds() {
	i=0
	while [ "$(fd_count "$1")" -gt "$2" ] && [ $i -lt $(($3 * 10)) ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ "$(fd_count "$1")" -le "$2" ]
}

# start_daemon: DAEMON=pid, daemon ready.
start_daemon() {
	"$BIN/cfidl-vsockd" --foreground --dir "$RUN" >"$WORK/daemon.out" 2>"$WORK/daemon.err" &
	DAEMON=$!
	PIDS="$PIDS $DAEMON"
	wait_line "$WORK/daemon.out" 10
}
# start_guest NAME [ARGS]: sets G_PID and G_CID.
start_guest() {
	n=$1
	shift
	"$BIN/cfidl-vsock-guest" --dir "$RUN" "$@" >"$WORK/$n.out" 2>"$WORK/$n.err" &
	G_PID=$!
	PIDS="$PIDS $G_PID"
	wait_line "$WORK/$n.out" 10 || return 1
	G_CID=$(head -n 1 "$WORK/$n.out")
}
# start_echo NAME CID PORT [ARGS]: an echo server in guest CID; E_PID.
start_echo() {
	n=$1
	c=$2
	p=$3
	shift 3
	"$BIN/cfidl-vsock-cat" --dir "$RUN" --as "$c" --echo -v "$@" "$p" \
		>"$WORK/$n.out" 2>"$WORK/$n.err" &
	E_PID=$!
	PIDS="$PIDS $E_PID"
	wait_text "$WORK/$n.err" listening 10
}
# cat_host ARGS...: a host app, bounded.
vcat() { timeout "${VCAT_TIMEOUT:-30}" "$BIN/cfidl-vsock-cat" --dir "$RUN" "$@"; }
