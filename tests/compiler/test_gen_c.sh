#!/bin/sh
# The C back end's output compiles cleanly: for each library of idl/ and
# for the conformance library (../shared/conformance/fidl, skipped when
# absent), the header and the source build with gcc and clang
# (-std=c11 -Wall -Wextra -Werror -pedantic) and the header with g++ and
# clang++ as C++. The headers' static asserts check every size and offset
# against the model's wire shapes. TAP output.
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
cfidl="$top_builddir/compiler/cfidl"
idl="$top_srcdir/idl"
conf="$top_srcdir/../shared/conformance/fidl"
tmp=$(mktemp -d /tmp/cfidl-genc.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT

CFLAGS_STRICT="-O2 -Wall -Wextra -Werror -pedantic"
INC="-I$top_srcdir/runtime/include -I$tmp"
libs="zx fuchsia.hardware.vsock fuchsia.vsock fuchsia.virtualization fuchsia.device.vsock cfidl.vsock"
ccs=""
for cc in gcc clang; do command -v $cc >/dev/null 2>&1 && ccs="$ccs $cc"; done
cxxs=""
for cxx in g++ clang++; do command -v $cxx >/dev/null 2>&1 && cxxs="$cxxs $cxx"; done

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
check() {
	if eval "$2"; then ok "$1"; else not_ok "$1"; fi
}
skip() {
	n=$((n + 1))
	echo "ok $n # SKIP $1"
}
# run DESCRIPTION COMMAND...: one test, the command's errors as comments.
run() {
	what=$1
	shift
	if "$@" >"$tmp/log" 2>&1; then
		ok "$what"
	else
		not_ok "$what"
		head -20 "$tmp/log" | sed 's/^/# /'
	fi
}
# builds LIB: its source and header with each compiler.
builds() {
	lib=$1
	for cc in $ccs; do
		run "$lib.c builds with $cc" $cc -std=c11 $CFLAGS_STRICT $INC \
			-c "$tmp/$lib.c" -o "$tmp/$lib.$cc.o"
	done
	for cxx in $cxxs; do
		printf '#include "%s.h"\n' "$lib" >"$tmp/$lib.cc"
		run "$lib.h builds as C++ with $cxx" $cxx -std=c++11 \
			$CFLAGS_STRICT $INC -c "$tmp/$lib.cc" -o "$tmp/$lib.$cxx.o"
	done
}

nlibs=$(echo $libs | wc -w)
nlibs=$((nlibs + 1)) # and test.conformance
per=$(( $(echo $ccs $cxxs | wc -w) ))
echo "1..$((nlibs * (1 + per) + 1 + 8))"

for lib in $libs; do
	run "cfidl --c-header/--c-source for $lib" "$cfidl" -I "$idl" \
		--c-header "$tmp/$lib.h" --c-source "$tmp/$lib.c" \
		--files "$idl/$lib"/*.fidl
	builds "$lib"
done

if [ -d "$conf" ]; then
	run "cfidl --c-header/--c-source for test.conformance" "$cfidl" \
		-I "$idl" --c-header "$tmp/test.conformance.h" \
		--c-source "$tmp/test.conformance.c" --files "$conf"/*.fidl
	builds test.conformance
else
	i=0
	while [ $i -le "$per" ]; do
		skip "no $conf: the conformance library is not checked"
		i=$((i + 1))
	done
fi

# The options' errors: exit 2 for usage, 1 for input or write errors, and
# no output file when anything failed.
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
vsock="$idl/fuchsia.vsock"
expect_exit 2 "--c-header needs a file name" "$cfidl" --files "$vsock"/*.fidl --c-header
expect_exit 2 "--c-source given twice" "$cfidl" --c-source "$tmp/a.c" \
	--c-source "$tmp/b.c" --files "$vsock"/*.fidl
expect_exit 1 "an unwritable --c-header" "$cfidl" -I "$idl" \
	--c-header "$tmp/no/such/dir/x.h" --files "$vsock"/*.fidl
check "the write error names the file" 'grep -q "no/such/dir/x.h" "$tmp/err"'
printf 'library bad;\ntype S = struct { a Missing; };\n' >"$tmp/bad.fidl"
expect_exit 1 "input errors" "$cfidl" --c-header "$tmp/bad.h" \
	--c-source "$tmp/bad.c" --files "$tmp/bad.fidl"
check "no output after input errors" '[ ! -e "$tmp/bad.h" ] && [ ! -e "$tmp/bad.c" ]'
check "no temporary file left behind" '[ -z "$(ls "$tmp" | grep "\.h\.\|\.c\.")" ]'
"$cfidl" -I "$idl" --c-header - --files "$vsock"/*.fidl >"$tmp/stdout.h" 2>/dev/null
check "--c-header - writes to standard output" \
	'cmp -s "$tmp/stdout.h" "$tmp/fuchsia.vsock.h"'

# The same model gives the same bytes.
"$cfidl" -I "$idl" --c-header "$tmp/again.h" --c-source "$tmp/again.c" \
	--files "$idl/fuchsia.vsock"/*.fidl
if cmp -s "$tmp/again.h" "$tmp/fuchsia.vsock.h" &&
	cmp -s "$tmp/again.c" "$tmp/fuchsia.vsock.c"; then
	ok "the output is deterministic"
else
	not_ok "the output is deterministic"
fi
exit $status
