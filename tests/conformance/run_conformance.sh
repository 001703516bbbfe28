#!/bin/sh
# TAP wrapper of gidl-run for `make check`: runs every GIDL file of
# ../shared/conformance against the library in its fidl/ folder. Skips
# when the suite is absent. Fails on any failed case, or when more than 5%
# of the cases are skipped (the target).
suite="${top_srcdir:-.}/../shared/conformance"
if [ ! -d "$suite/gidl" ] || [ ! -d "$suite/fidl" ]; then
	echo "1..0 # SKIP no conformance suite at $suite"
	exit 0
fi
runner="${top_builddir:-.}/tests/conformance/gidl-run"
out=$(mktemp "${TMPDIR:-/tmp}/gidl-run-out.XXXXXX") || exit 99
CFIDL="$GIDL_CFIDL" CFIDL_IDL_DIR="$GIDL_IDL_DIR" CC="${GIDL_CC:-cc}" \
	CPPFLAGS="$GIDL_CPPFLAGS" CFLAGS="$GIDL_CFLAGS" \
	LDFLAGS="$GIDL_LDFLAGS" LIBS="$GIDL_LIBS" \
	"$runner" -v "$suite/fidl" "$suite"/gidl/*.gidl >"$out" 2>&1
status=$?
echo "1..2"
sed -e 's/^/# /' "$out"
summary=$(tail -n 1 "$out")
rm -f "$out"
if [ "$status" -eq 0 ]; then
	echo "ok 1 - no case failed: $summary"
else
	echo "not ok 1 - gidl-run exit status $status: $summary"
fi
# "P passed, F failed, S skipped": at most 5% skipped.
set -- $summary
if [ "$#" -eq 6 ] && [ "$6" = skipped ]; then
	total=$(($1 + $3 + $5))
	if [ "$total" -gt 0 ] && [ $(($5 * 100)) -le $((total * 5)) ]; then
		echo "ok 2 - $5 of $total cases skipped (at most 5%)"
	else
		echo "not ok 2 - $5 of $total cases skipped (more than 5%)"
	fi
else
	echo "not ok 2 - no summary line from gidl-run"
fi
