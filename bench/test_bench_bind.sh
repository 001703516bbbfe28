#!/bin/sh
# Smoke test of the bindings benchmark (bench/README.md): a --quick run
# exits 0, prints a BENCH line for every part, every line has the BENCH
# format, and the steady state allocates nothing (when allocations can be
# counted: not under AddressSanitizer). No timing is checked. TAP output.
top_builddir=${top_builddir:-.}
bench="$top_builddir/bench/bench_bind"
out=$(mktemp /tmp/cfidl-bench-bind.XXXXXX) || exit 1
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

"$bench" --quick >"$out" 2>&1
result $? "bench_bind --quick exits 0"
has '^BENCH name=codec_hardware_vsock_Device_SendShutdown_request .* baseline=memcpy ' \
	"a seed message against memcpy"
has '^BENCH name=codec_record_300b .* baseline=memcpy ' \
	"the ~300-byte message against memcpy"
grep -q '^SKIP name=codec_record_300b baseline=protobuf-c' "$out" ||
	grep -q '^BENCH name=codec_record_300b .* baseline=protobuf-c ' "$out"
result $? "the ~300-byte message against protobuf-c (or SKIP)"
has '^BENCH name=roundtrip_64b .* baseline=raw-seqpacket ' \
	"round trip against raw SOCK_SEQPACKET"
grep -q '^SKIP name=roundtrip_64b baseline=tirpc-unix' "$out" ||
	grep -q '^BENCH name=roundtrip_64b .* baseline=tirpc-unix ' "$out"
result $? "round trip against tirpc (or SKIP)"
has '^BENCH name=oneway_64b_msgs .* unit=msgs/s baseline=raw-socketpair ' \
	"one-way throughput against a raw socketpair"
bad=$(grep '^BENCH ' "$out" | grep -cv \
	'^BENCH name=[A-Za-z0-9_-]* value=[0-9.]* unit=[a-zA-Z/]* baseline=[a-z-]* baseline_value=[0-9.]* ratio=[0-9.]*$')
result "$bad" "every BENCH line has the format"
if grep -q '^SKIP name=allocs_per_call' "$out"; then
	n=$((n + 1))
	echo "ok $n # SKIP allocations are not counted under AddressSanitizer"
else
	has '^TARGET allocs_per_two_way_call value=0.000 limit=0 MET$' \
		"no heap allocation per two-way call"
	has '^TARGET allocs_per_one_way_message value=0.000 limit=0 MET$' \
		"no heap allocation per one-way message"
fi
has '^TARGETS ' "a TARGETS summary"
[ $status = 0 ] || sed 's/^/# /' "$out"
echo "1..$n"
exit $status
