#!/bin/sh
# Installs this build into a temporary folder (make install DESTDIR=) and
# builds examples/echo from there alone: autoreconf finds cfidl.m4 in the
# installed aclocal folder, configure finds cfidl and libcfidl through the
# installed .pc files, make generates examples.echo.h/.c with the
# installed cfidl, and echo-demo runs a server and a client over a channel
# between two processes.  TAP output.
#
# The DESTDIR image is used in place: a pkg-config wrapper relocates the
# .pc files' prefix (--define-variable=prefix=...) and LD_LIBRARY_PATH
# finds the installed libcfidl.so.

: "${top_srcdir:?run me from make check}" "${top_builddir:?}"

if ! command -v autoreconf >/dev/null 2>&1; then
	echo "1..0 # SKIP autoreconf not found"
	exit 0
fi

echo "1..7"
tmp=`mktemp -d "${TMPDIR:-/tmp}/cfidl-install.XXXXXX"` || exit 1
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' 0
trap 'exit 1' HUP INT TERM
log=$tmp/log
n=0
failed=0

ok() {
	n=`expr $n + 1`
	echo "ok $n - $1"
}

# Reports a failed step with the end of its log; the later steps fail too.
not_ok() {
	n=`expr $n + 1`
	echo "not ok $n - $1"
	sed -e 's/^/# /' "$log" | tail -n 30
	while test $n -lt 7; do
		n=`expr $n + 1`
		echo "not ok $n - # skipped after a failure"
	done
	exit 1
}

make_=${CFIDL_INSTALL_MAKE:-make}
prefix=${CFIDL_INSTALL_PREFIX:?}
root=$tmp/root

# 1. install (MAKEFLAGS dropped: no jobserver or overrides of the caller)
if env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL $make_ -C "$top_builddir" \
	install DESTDIR="$root" >"$log" 2>&1; then
	ok "make install DESTDIR=<tmp>"
else
	not_ok "make install DESTDIR=<tmp>"
fi

# 2. what a consumer needs is there
: >"$log"
for f in "$CFIDL_INSTALL_BINDIR/cfidl" \
	"$CFIDL_INSTALL_LIBDIR/libcfidl.so" \
	"$CFIDL_INSTALL_INCLUDEDIR/cfidl/bind.h" \
	"$CFIDL_INSTALL_ACLOCALDIR/cfidl.m4" \
	"$CFIDL_INSTALL_PKGCONFIGDIR/cfidl.pc" \
	"$CFIDL_INSTALL_PKGCONFIGDIR/libcfidl.pc"; do
	test -e "$root$f" || echo "missing: $f" >>"$log"
done
if test -s "$log"; then
	not_ok "installed: cfidl, libcfidl.so, headers, cfidl.m4, .pc files"
fi
ok "installed: cfidl, libcfidl.so, headers, cfidl.m4, .pc files"

# The example, copied out of the source tree; from here on nothing
# names the source or build tree.
mkdir "$tmp/echo" "$tmp/bin" &&
	cp "$top_srcdir"/examples/echo/configure.ac \
		"$top_srcdir"/examples/echo/Makefile.am \
		"$top_srcdir"/examples/echo/*.fidl \
		"$top_srcdir"/examples/echo/*.[ch] "$tmp/echo/" &&
	chmod -R u+w "$tmp/echo" || exit 1
real_pkg_config=`command -v pkg-config` || {
	echo "Bail out! pkg-config not found"
	exit 1
}
cat >"$tmp/bin/pkg-config" <<EOT
#!/bin/sh
exec '$real_pkg_config' --define-variable=prefix='$root$prefix' "\$@"
EOT
chmod +x "$tmp/bin/pkg-config"

in_prefix() {
	(cd "$1" && shift &&
		env -u top_srcdir -u top_builddir -u MAKEFLAGS -u MFLAGS \
			-u MAKELEVEL -u CFIDL_IDL_PATH \
			PKG_CONFIG="$tmp/bin/pkg-config" \
			PKG_CONFIG_PATH="$root$CFIDL_INSTALL_PKGCONFIGDIR" \
			ACLOCAL_PATH="$root$CFIDL_INSTALL_ACLOCALDIR" \
			LD_LIBRARY_PATH="$root$CFIDL_INSTALL_LIBDIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
			"$@") >"$log" 2>&1
}

# 3. autoreconf: aclocal finds CFIDL_RULES in the installed cfidl.m4
if in_prefix "$tmp/echo" autoreconf -fi; then
	ok "autoreconf examples/echo (cfidl.m4 from the prefix)"
else
	not_ok "autoreconf examples/echo (cfidl.m4 from the prefix)"
fi

# 4. configure, out of the example's tree
mkdir "$tmp/echo/build"
if in_prefix "$tmp/echo/build" ../configure \
	CC="${CFIDL_INSTALL_CC:-cc}" \
	CFLAGS="-g -O2 $CFIDL_INSTALL_FLAGS" \
	LDFLAGS="$CFIDL_INSTALL_FLAGS" &&
	grep -q "^CFIDL = $root$CFIDL_INSTALL_BINDIR/cfidl\$" \
		"$tmp/echo/build/Makefile"; then
	ok "configure finds the installed cfidl and libcfidl"
else
	not_ok "configure finds the installed cfidl and libcfidl"
fi

# 5. make: the rules generate the bindings; warnings are errors
if in_prefix "$tmp/echo/build" make V=1 CFLAGS="-g -O2 -Werror \
$CFIDL_INSTALL_FLAGS" &&
	test -f "$tmp/echo/build/examples.echo.h" &&
	test -f "$tmp/echo/build/examples.echo.c" &&
	grep -q "/cfidl .*--c-header examples.echo.h" "$log"; then
	ok "make generates examples.echo.h/.c and builds echo-demo"
else
	not_ok "make generates examples.echo.h/.c and builds echo-demo"
fi
cp "$log" "$tmp/make.log"

# 6. run it; each side gives up after 10 s, timeout is a last resort
to=
command -v timeout >/dev/null 2>&1 && to="timeout 30"
if in_prefix "$tmp/echo/build" $to ./echo-demo &&
	grep -qx "sync reply: hello" "$log" &&
	grep -qx "async reply: hello again" "$log" &&
	grep -qx "event OnGreeting: hello, world" "$log" &&
	grep -qx "echo-demo: ok" "$log"; then
	ok "echo-demo: sync call, async call and event across processes"
else
	not_ok "echo-demo: sync call, async call and event across processes"
fi

# 7. the example's build named only the prefix (whose image may itself
# lie under the source tree, as in make distcheck: hide it first)
cat "$tmp/make.log" "$tmp/echo/build/Makefile" |
	awk -v p="$root$prefix" '{
		while ((i = index($0, p)) > 0)
			$0 = substr($0, 1, i - 1) "<prefix>" substr($0, i + length(p))
		print
	}' >"$log"
abs_src=`cd "$top_srcdir" && pwd`
abs_build=`cd "$top_builddir" && pwd`
if grep -F -e "$abs_src/" -e "$abs_build/" "$log" >"$tmp/hits"; then
	cp "$tmp/hits" "$log"
	not_ok "the example's build uses the prefix alone"
fi
ok "the example's build uses the prefix alone"
