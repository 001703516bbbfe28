# cfidl.m4 - find the cfidl compiler and let Makefile.am turn .fidl into C.
# Installed into $(datadir)/aclocal by cfidl.
#
# CFIDL_PROG([MIN-VERSION])
#   Sets and substitutes CFIDL, the compiler: the user's $CFIDL if set,
#   else `pkg-config --variable=cfidl cfidl` (cfidl.pc, installed with
#   the compiler).  Fails configure when neither gives a program.
#
# CFIDL_RULES([MIN-VERSION])
#   Calls CFIDL_PROG (use one or the other) and substitutes CFIDL_RULES:
#   put a line `@CFIDL_RULES@' alone in Makefile.am (never in a comment:
#   the value spans lines) to get suffix rules that make NAME.h and NAME.c
#   from NAME.fidl with `$(CFIDL) $(CFIDL_FLAGS) --c-header/--c-source`.
#   Each .fidl file is a whole library; name it after the library
#   (examples.echo.fidl for `library examples.echo;`): the generated source
#   includes its header as "<library>.h".  CFIDL_FLAGS may add -I DIR to
#   find the libraries it uses.  Then list the outputs, e.g.:
#
#     @CFIDL_RULES@
#     nodist_foo_SOURCES = examples.echo.c examples.echo.h
#     BUILT_SOURCES = examples.echo.h examples.echo.c
#     CLEANFILES = $(BUILT_SOURCES)
#     EXTRA_DIST = examples.echo.fidl
#
#   The rules honour `make V=0/1` (silent rules) and VPATH builds: the
#   .fidl file may be in $(srcdir), the outputs go to the build folder.

# serial 1

AC_DEFUN([CFIDL_PROG], [
	AC_REQUIRE([PKG_PROG_PKG_CONFIG])
	AC_ARG_VAR([CFIDL], [the cfidl FIDL compiler])
	AC_MSG_CHECKING([for cfidl])
	AS_IF([test -z "$CFIDL"], [
		AS_IF([test -n "$PKG_CONFIG" &&
		       $PKG_CONFIG --exists m4_ifval([$1], ["cfidl >= $1"], [cfidl])],
		      [CFIDL=`$PKG_CONFIG --variable=cfidl cfidl`])
	])
	AS_IF([test -n "$CFIDL" && test -x "$CFIDL" &&
	       $CFIDL --version >/dev/null 2>&1],
	      [AC_MSG_RESULT([$CFIDL])],
	      [AC_MSG_RESULT([no])
	       AC_MSG_ERROR([cfidl m4_ifval([$1], [>= $1 ])not found: install it, set PKG_CONFIG_PATH to the folder of cfidl.pc, or set CFIDL])])
	AC_SUBST([CFIDL])
])

AC_DEFUN([CFIDL_RULES], [
	CFIDL_PROG([$1])
	AC_SUBST([CFIDL_FLAGS])
	AC_SUBST([CFIDL_RULES], ['
.SUFFIXES: .fidl .h .c
cfidl_v_GEN = @S|@(cfidl_v_GEN_@S|@(V))
cfidl_v_GEN_ = @S|@(cfidl_v_GEN_@S|@(AM_DEFAULT_VERBOSITY))
cfidl_v_GEN_0 = @echo "  CFIDL   " @S|@@;
cfidl_v_GEN_1 =
.fidl.h:
	@S|@(cfidl_v_GEN)@S|@(CFIDL) @S|@(CFIDL_FLAGS) --c-header @S|@@ --files @S|@<
.fidl.c:
	@S|@(cfidl_v_GEN)@S|@(CFIDL) @S|@(CFIDL_FLAGS) --c-source @S|@@ --files @S|@<
'])
	m4_ifdef([AM_SUBST_NOTMAKE], [AM_SUBST_NOTMAKE([CFIDL_RULES])])
])
