/* Diagnostics: `file:line:col: error: message [cf-NNNN]`, then the source
 * line and a caret. Each id comes from diag_ids.def. */
#ifndef CFIDL_COMPILER_DIAG_H
#define CFIDL_COMPILER_DIAG_H

#include <stdbool.h>
#include <stdio.h>

#include "source.h"

typedef enum cf_severity { CF_SEV_ERROR, CF_SEV_WARNING } cf_severity;

typedef enum cf_diag_id {
#define CF_DIAG(sym, num, sev, fmt) CF_DIAG_##sym,
#include "diag_ids.def"
#undef CF_DIAG
	CF_DIAG_COUNT
} cf_diag_id;

typedef struct cf_diags {
	FILE *out; /* where diagnostics go; NULL = silent (tests, fuzzing) */
	unsigned errors; /* errors reported (not counting suppressed ones) */
	unsigned warnings;
	unsigned
	    max_errors; /* stop reporting after this many; 0 = default 50 */
	bool werror;    /* treat warnings as errors */
	bool limit_hit; /* max_errors was reached */
	/* The first and the last diagnostic reported, for tests. */
	bool any;
	cf_diag_id first_id;
	cf_loc first_loc;
	cf_diag_id last_id;
	cf_loc last_loc;
	/* Counts per id, for tests. */
	unsigned count[CF_DIAG_COUNT];
} cf_diags;

void cf_diags_init(cf_diags *d, FILE *out);

/* Reports diagnostic id at loc with the catalogue's format and the given
 * arguments. Returns false once the error limit is reached: callers that
 * loop over input should stop then. */
bool cf_report(cf_diags *d, cf_loc loc, cf_diag_id id, ...);

/* "cf-0012" for id. Static storage. */
const char *cf_diag_code(cf_diag_id id);
int cf_diag_number(cf_diag_id id);
cf_severity cf_diag_severity(cf_diag_id id);
const char *cf_diag_format(cf_diag_id id);

/* True when at least one error was reported. */
static inline bool cf_diags_failed(const cf_diags *d)
{
	return d->errors > 0;
}

#endif
