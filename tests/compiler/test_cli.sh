#!/bin/sh
# The cfidl command line (main.c): options, exit status (0 ok, 1 input
# errors, 2 usage), and how the IR file is written (atomically, with the
# usual mode, never left half-written). TAP output.
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
cfidl="$top_builddir/compiler/cfidl"
idl="$top_srcdir/idl"
tmp=$(mktemp -d /tmp/cfidl-cli.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT

n=0
status=0
ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}
not_ok() {
	n=$((n + 1))
	echo "not ok $n - $1"
	status=1
}
# expect_exit CODE DESCRIPTION COMMAND...: runs COMMAND, output in $tmp/out
# and $tmp/err, and checks its exit status.
expect_exit() {
	want=$1
	what=$2
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	if [ "$got" -eq "$want" ]; then
		ok "$what (exit $got)"
	else
		not_ok "$what: exit $got, want $want"
		sed 's/^/# /' "$tmp/err"
	fi
}
check() {
	if eval "$2"; then ok "$1"; else not_ok "$1"; fi
}

echo "1..26"

cat >"$tmp/good.fidl" <<'FIDL'
library test.cli;
using zx;
type S = resource struct { h zx.Handle:SOCKET; n uint32; };
FIDL
cat >"$tmp/bad.fidl" <<'FIDL'
library test.cli;
type S = struct { a Missing; };
FIDL
cat >"$tmp/warn.fidl" <<'FIDL'
library test.warn;
interface P {
    1: M();
};
FIDL

expect_exit 0 "--help" "$cfidl" --help
check "--help shows the usage" "grep -q '^usage: cfidl' '$tmp/out'"
expect_exit 0 "--version" "$cfidl" --version
check "--version names the program" "grep -q '^cfidl [0-9]' '$tmp/out'"
expect_exit 2 "no arguments" "$cfidl"
expect_exit 2 "unknown option" "$cfidl" --frobnicate --files "$tmp/good.fidl"
check "unknown option is named" "grep -q -- '--frobnicate' '$tmp/err'"
expect_exit 2 "--files without files" "$cfidl" --files
expect_exit 2 "--json without a file" "$cfidl" --files "$tmp/good.fidl" --json
expect_exit 2 "--json twice" "$cfidl" --json a --json b --files "$tmp/good.fidl"

umask 022
expect_exit 0 "compile with -I DIR" "$cfidl" -I "$idl" --json "$tmp/good.json" --files "$tmp/good.fidl"
check "IR names the library" "grep -q '\"name\": \"test.cli\"' '$tmp/good.json'"
check "IR file has mode 644 under umask 022" \
	"[ \"\$(stat -c %a '$tmp/good.json')\" = 644 ]"
expect_exit 0 "compile with -IDIR" "$cfidl" "-I$idl" --json - --files "$tmp/good.fidl"
check "--json - writes the IR to stdout" "cmp -s '$tmp/out' '$tmp/good.json'"

cp "$tmp/good.json" "$tmp/keep.json"
expect_exit 1 "input errors" "$cfidl" -I "$idl" --json "$tmp/keep.json" --files "$tmp/bad.fidl"
check "error names file:line:col and id" "grep -q 'bad.fidl:2:21: error: .*\[cf-0103\]' '$tmp/err'"
check "a failed run leaves the old IR untouched" "cmp -s '$tmp/keep.json' '$tmp/good.json'"
expect_exit 1 "unwritable output" "$cfidl" -I "$idl" --json "$tmp/no/such/dir/x.json" --files "$tmp/good.fidl"
check "unwritable output is cf-0301" "grep -q 'cf-0301' '$tmp/err'"
check "no temporary file is left behind" "[ -z \"\$(ls '$tmp' | grep 'json\.')\" ]"

expect_exit 0 "a warning alone succeeds" "$cfidl" --files "$tmp/warn.fidl"
check "the warning is printed" "grep -q 'warning: .*\[cf-0013\]' '$tmp/err'"
expect_exit 1 "--werror makes the warning fatal" "$cfidl" --werror --files "$tmp/warn.fidl"
expect_exit 1 "missing input file" "$cfidl" --files "$tmp/absent.fidl"
check "missing input file is cf-0300" "grep -q 'cf-0300' '$tmp/err'"
exit $status
