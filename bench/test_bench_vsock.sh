#!/bin/sh
# Smoke test of the vsock benchmark (bench/README.md, "The vsock
# benchmark"): a --quick run through the whole stack (daemon and guest
# processes) exits 0, prints a BENCH line for every part in the BENCH
# format, keeps an idle connection under 16 KiB of heap (a size, not a
# time), and removes its runtime directory. No timing is checked. TAP.
top_builddir=${top_builddir:-.}
bench="$top_builddir/bench/bench_vsock"
out=$(mktemp /tmp/cfidl-bench-vsock-out.XXXXXX) || exit 1
trap 'rm -f "$out"' EXIT

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

timeout 60 "$bench" --quick >"$out" 2>&1
result $? "bench_vsock --quick exits 0 within 60 s"
has '^BENCH name=vsock_stream_guest_to_host .* unit=MB/s baseline=raw-pipe ' \
	"stream guest to host against a pipe"
has '^BENCH name=vsock_stream_host_to_guest .* unit=MB/s baseline=raw-pipe ' \
	"stream host to guest against a pipe"
has '^BENCH name=vsock_sendvmo_8MiB .* unit=ms baseline=socket-write ' \
	"SendVmo against writing into the socket"
has '^BENCH name=vsock_echo_64b .* unit=ns baseline=raw-socketpair ' \
	"echo round trip against a socketpair"
has '^BENCH name=vsock_echo_64b_unpinned .* unit=ns baseline=raw-socketpair ' \
	"echo round trip unpinned against a socketpair unpinned"
has '^BENCH name=vsock_connect_accept_close_host_to_guest .* baseline=raw-unix-connect ' \
	"connect rate host to guest against AF_UNIX"
has '^BENCH name=vsock_connect_accept_close_guest_to_host .* baseline=raw-unix-connect ' \
	"connect rate guest to host against AF_UNIX"
has '^BENCH name=vsock_connect_accept_close_4_in_flight .* baseline=raw-unix-connect ' \
	"connect rate with four in flight against AF_UNIX"
has '^TARGET idle_conn_bytes value=[0-9.]* limit=1.64e+04 MET$' \
	"an idle connection costs at most 16 KiB of heap"
bad=$(grep '^BENCH ' "$out" | grep -cv \
	'^BENCH name=[A-Za-z0-9_-]* value=[0-9.]* unit=[a-zA-Z/]* baseline=[a-z-]* baseline_value=[0-9.]* ratio=[0-9.]*$')
result "$bad" "every BENCH line has the format"
has '^TARGETS ' "a TARGETS summary"
dir=$(sed -n 's/^# rundir: //p' "$out")
[ -n "$dir" ] && [ ! -e "$dir" ]
result $? "the runtime directory is gone"
[ $status = 0 ] || sed 's/^/# /' "$out"
echo "1..$n"
exit $status
