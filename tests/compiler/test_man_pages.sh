#!/bin/sh
# The manual pages format without a single groff warning, and man(1)
# renders each one (TAP output). Skipped when groff is not installed; the
# man(1) checks are skipped without man.
top_srcdir=${top_srcdir:-.}
pages="cfidl.1 cfidl.7 libcfidl.3 cfidl-vsockd.8 cfidl-vsock-guest.1 cfidl-vsock-cat.1 libcfidl-vsock.3"
if ! command -v groff >/dev/null 2>&1; then
	echo "1..0 # SKIP groff is not installed"
	exit 0
fi
set -- $pages
echo "1..$(($# * 2))"
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
	n=$((n + 1))
	if ! command -v man >/dev/null 2>&1; then
		echo "ok $n # SKIP man is not installed"
		continue
	fi
	# The NAME section's line, as man renders it.
	name=$(MANWIDTH=80 MAN_KEEP_FORMATTING= man -l -P cat \
		"$top_srcdir/man/$page" 2>/dev/null | sed -n '/^NAME/{n;s/^ *//;p;q;}')
	if [ -n "$name" ]; then
		echo "ok $n - man -l man/$page renders: $name"
	else
		echo "not ok $n - man -l man/$page renders nothing"
		status=1
	fi
done
exit $status
