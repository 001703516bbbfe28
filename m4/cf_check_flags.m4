# cfidl's own autoconf macros (m4/ also receives libtool's, which are not
# kept in the repository).

# CF_CHECK_FLAGS(FLAGS, IF-NOT, [PROGRAM]): can $CC compile and link PROGRAM
# (default: an empty main) with FLAGS?
AC_DEFUN([CF_CHECK_FLAGS], [
  cf_save_CFLAGS=$CFLAGS
  cf_save_LDFLAGS=$LDFLAGS
  CFLAGS="$CFLAGS $1"
  LDFLAGS="$LDFLAGS $1"
  AC_MSG_CHECKING([whether $CC accepts $1])
  AC_LINK_IFELSE([m4_default([$3], [AC_LANG_PROGRAM([[]], [[return 0;]])])],
    [AC_MSG_RESULT([yes])], [AC_MSG_RESULT([no]); $2])
  CFLAGS=$cf_save_CFLAGS
  LDFLAGS=$cf_save_LDFLAGS
])
