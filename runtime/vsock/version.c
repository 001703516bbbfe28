/* The library's version, for programs that print what they run on. */
#include <cfidl/vsock.h>

const char *cfidl_vsock_version(void)
{
	return PACKAGE_VERSION;
}
