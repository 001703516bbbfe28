#!/bin/sh
# Smoke test of the vsock design floor (bench/README.md, "The vsock
# benchmark"): bench_vsock_floor --quick exits 0, prints its two BENCH lines
# in the BENCH format and a TARGET line for each, counts the syscalls of its
# design, ends with as many fds as it started with and leaves no process
# behind; a usage error exits 2; a child killed mid-run makes it exit 1 at
# once, again leaving nothing behind. No timing is checked. TAP.
top_builddir=${top_builddir:-.}
bench="$top_builddir/bench/bench_vsock_floor"
out=$(mktemp /tmp/cfidl-bench-vsock-floor-out.XXXXXX) || exit 1
trap 'rm -f "$out"' EXIT
# Every process of a run carries this in its environment: how we find
# what a run left behind (only our own processes' environ is readable).
tag="CFIDL_FLOOR_TEST_TAG=$$-$(date +%s%N)"

n=0
status=0
result() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		status=1
	fi
}
has() {
	grep -q "$1" "$out"
	result $? "$2"
}
# The pids of live processes carrying the tag (none: prints nothing).
tagged() {
	for e in /proc/[0-9]*/environ; do
		if tr '\0' '\n' 2>/dev/null <"$e" | grep -qx "$tag"; then
			p=${e#/proc/}
			echo "${p%/environ}"
		fi
	done
}
# The children of pid $1 (the kernel's list; else pgrep -P).
children_of() {
	if [ -r "/proc/$1/task/$1/children" ]; then
		cat "/proc/$1/task/$1/children" 2>/dev/null | tr ' ' '\n' |
			grep .
	else
		pgrep -P "$1"
	fi
}

env "$tag" timeout 60 "$bench" --quick >"$out" 2>&1
result $? "bench_vsock_floor --quick exits 0 within 60 s"
has '^# placement: CFIDL_BENCH_PIN=' "says where the threads run"
has '^BENCH name=floor_echo_64b value=[0-9.]* unit=ns baseline=raw-socketpair ' \
	"echo round trip against a socketpair"
has '^BENCH name=floor_connect_accept_close value=[0-9.]* unit=conn/s baseline=raw-unix-connect ' \
	"connect rate against AF_UNIX"
has '^TARGET floor_echo_vs_raw ratio=[0-9.]* limit=3 \(MET\|MISSED\)$' \
	"the echo target, at most 3x"
has '^TARGET floor_connect_rate_vs_raw ratio=[0-9.]* limit=0.2 \(MET\|MISSED\)$' \
	"the connect target, at least 0.2x"
# The echo path makes exactly 14 syscalls per round trip by design.
has '^# echo syscalls per round trip.* total 14\.00 ' \
	"14 syscalls per echo round trip, counted"
has '^BENCH name=floor_connect_accept_close_lean value=[0-9.]* unit=conn/s baseline=raw-unix-connect ' \
	"the lean connect chain, as context"
has '^# calibration: an eventfd write that wakes nobody takes [0-9]* ns' \
	"the cost of one syscall, as context"
full=$(sed -n 's/^# connect syscalls per connection.* total \([0-9.]*\) .*/\1/p' "$out")
lean=$(sed -n 's/^# lean connect syscalls per connection.* total \([0-9.]*\) .*/\1/p' "$out")
# By design 28 (full chain) and 23 (lean), give or take the order of the
# teardown packets: the counts are counted, not printed constants.
awk -v f="$full" -v l="$lean" 'BEGIN { exit !(f >= 27 && f <= 32 && l >= 22 && l <= 27 && l < f) }'
result $? "syscalls per connection counted: $full (full chain), $lean (lean)"
bad=$(grep '^BENCH ' "$out" | grep -cv \
	'^BENCH name=[A-Za-z0-9_-]* value=[0-9.]* unit=[a-zA-Z/]* baseline=[a-z-]* baseline_value=[0-9.]* ratio=[0-9.]*$')
result "$bad" "every BENCH line has the format"
has '^TARGETS ' "a TARGETS summary"
fds=$(sed -n 's/^# fds of this process: \([0-9]*\) at the start, \([0-9]*\) at the end$/\1 \2/p' "$out")
set -- $fds
[ -n "$1" ] && [ "$1" = "$2" ]
result $? "as many fds at the end as at the start ($fds)"
[ -z "$(tagged)" ]
result $? "no process left behind"

env "$tag" timeout 60 "$bench" --only echo >"$out" 2>&1
rc=$?
[ $rc = 0 ] && grep -q '^BENCH name=floor_echo_64b ' "$out" &&
	! grep -q '^BENCH name=floor_connect' "$out"
result $? "--only echo runs the echo part alone (exit $rc)"

timeout 10 "$bench" --only stream >/dev/null 2>&1
result $(($? != 2)) "an unknown part is a usage error (exit 2)"
timeout 10 "$bench" --bogus >/dev/null 2>&1
result $(($? != 2)) "an unknown option is a usage error (exit 2)"

# Kill one of its two children mid-run: it must fail (exit 1) at once,
# not after its 10 s deadlines, and leave nothing behind.
env "$tag" "$bench" >"$out" 2>&1 &
pid=$!
victim=
i=0
while [ -z "$victim" ] && [ $i -lt 200 ] && kill -0 $pid 2>/dev/null; do
	victim=$(children_of $pid | head -n 1)
	[ -n "$victim" ] || sleep 0.01
	i=$((i + 1))
done
if [ -n "$victim" ]; then
	t0=$(date +%s)
	kill -KILL "$victim"
	wait $pid
	rc=$?
	t1=$(date +%s)
	[ $rc = 1 ] && [ $((t1 - t0)) -lt 5 ]
	result $? "a child killed mid-run: exit 1 within 5 s (exit $rc)"
	grep -q 'exited early' "$out"
	result $? "it says a child exited early"
	sleep 0.2
	[ -z "$(tagged)" ]
	result $? "no process left behind after the failure"
else
	wait $pid
	n=$((n + 1))
	echo "ok $n # SKIP the run ended before a child could be found"
fi

[ $status = 0 ] || sed 's/^/# /' "$out"
echo "1..$n"
exit $status
