/* Monotonic time, deadlines and the poll timeouts derived from them. */
#include <errno.h>
#include <time.h>
#include <unistd.h>

#include "object.h"

zx_time_t zx_clock_get_monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (zx_time_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

zx_time_t zx_deadline_after(zx_duration_t duration)
{
	zx_time_t now = zx_clock_get_monotonic();

	if (duration > 0 && now > ZX_TIME_INFINITE - duration)
		return ZX_TIME_INFINITE;
	if (duration < 0 && now < ZX_TIME_INFINITE_PAST - duration)
		return ZX_TIME_INFINITE_PAST;
	return now + duration;
}

zx_status_t zx_nanosleep(zx_time_t deadline)
{
	struct timespec ts;

	if (deadline == ZX_TIME_INFINITE) {
		for (;;)
			pause();
	}
	if (deadline <= 0)
		return ZX_OK;
	ts.tv_sec = deadline / 1000000000LL;
	ts.tv_nsec = deadline % 1000000000LL;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	       EINTR)
		;
	return ZX_OK;
}

int cf_timeout_ms(zx_time_t deadline)
{
	zx_time_t left;

	if (deadline == ZX_TIME_INFINITE)
		return -1;
	left = deadline - zx_clock_get_monotonic();
	if (left <= 0)
		return 0;
	/* Round up so a wait never ends before its deadline. */
	left = (left + 999999) / 1000000;
	return left > 0x7fffffff ? 0x7fffffff : (int)left;
}
