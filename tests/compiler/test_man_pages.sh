#!/bin/sh
# The manual pages format without a single groff warning (TAP output).
# Skipped when groff is not installed.
top_srcdir=${top_srcdir:-.}
pages="cfidl.1 cfidl.7"
if ! command -v groff >/dev/null 2>&1; then
	echo "1..0 # SKIP groff is not installed"
	exit 0
fi
echo "1..2"
n=0
status=0
for page in $pages; do
	n=$((n + 1))
	out=$(groff -man -Tutf8 -ww -z "$top_srcdir/man/$page" 2>&1)
	if [ -z "$out" ]; then
		echo "ok $n - man/$page formats without warnings"
	else
		echo "not ok $n - man/$page: groff warns"
		echo "$out" | sed 's/^/# /'
		status=1
	fi
done
exit $status
