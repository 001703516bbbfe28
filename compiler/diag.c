#include "diag.h"

#include <stdarg.h>
#include <stdint.h>
#include <string.h>

typedef struct diag_entry {
	int number;
	cf_severity severity;
	const char *format;
} diag_entry;

static const diag_entry catalogue[CF_DIAG_COUNT] = {
#define CF_DIAG(sym, num, sev, fmt) [CF_DIAG_##sym] = {num, CF_SEV_##sev, fmt},
#include "diag_ids.def"
#undef CF_DIAG
};

enum { DEFAULT_MAX_ERRORS = 50, MAX_ECHOED_LINE = 400 };

void cf_diags_init(cf_diags *d, FILE *out)
{
	memset(d, 0, sizeof(*d));
	d->out = out;
}

const char *cf_diag_code(cf_diag_id id)
{
	static char codes[CF_DIAG_COUNT][12];
	if ((unsigned)id >= CF_DIAG_COUNT)
		return "cf-????";
	if (!codes[id][0])
		snprintf(codes[id], sizeof(codes[id]), "cf-%04d",
		         catalogue[id].number);
	return codes[id];
}

int cf_diag_number(cf_diag_id id)
{
	return (unsigned)id < CF_DIAG_COUNT ? catalogue[id].number : -1;
}

cf_severity cf_diag_severity(cf_diag_id id)
{
	return catalogue[id].severity;
}

const char *cf_diag_format(cf_diag_id id)
{
	return catalogue[id].format;
}

/* Length of the valid multi-byte UTF-8 sequence at s, or 0 (ASCII, or
 * not valid UTF-8). Overlong forms and surrogates are not valid. */
static size_t utf8_sequence_length(const char *s, size_t avail)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;
	uint32_t cp;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		cp = p[0] & 0x07;
	} else {
		return 0;
	}
	if (avail < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* Echoes the source line with a caret under the column. Control bytes are
 * and invalid UTF-8 are shown as '?' so that binary input cannot drive the
 * terminal; long lines are cut around the column. */
static void echo_line(FILE *out, cf_loc loc)
{
	const char *start;
	size_t len;
	if (!cf_source_line(loc.src, loc.line, &start, &len))
		return;
	size_t col = loc.col ? loc.col - 1 : 0;
	size_t from = 0;
	if (col > MAX_ECHOED_LINE / 2)
		from = col - MAX_ECHOED_LINE / 2;
	if (from > len)
		from = len;
	size_t to = len - from > MAX_ECHOED_LINE ? from + MAX_ECHOED_LINE : len;
	fputs("  ", out);
	for (size_t i = from; i < to;) {
		size_t n = utf8_sequence_length(start + i, to - i);
		if (n == 0) {
			unsigned char c = (unsigned char)start[i];
			fputc(c == '\t' || (c >= 0x20 && c < 0x7f) ? c : '?',
			      out);
			i++;
		} else {
			fwrite(start + i, 1, n, out);
			i += n;
		}
	}
	fputs("\n  ", out);
	for (size_t i = from; i < col && i < to; i++)
		fputc(start[i] == '\t' ? '\t' : ' ', out);
	fputs("^\n", out);
}

bool cf_report(cf_diags *d, cf_loc loc, cf_diag_id id, ...)
{
	unsigned max = d->max_errors ? d->max_errors : DEFAULT_MAX_ERRORS;
	bool is_error = catalogue[id].severity == CF_SEV_ERROR || d->werror;
	if (d->limit_hit)
		return false;
	d->count[id]++;
	if (!d->any) {
		d->any = true;
		d->first_id = id;
		d->first_loc = loc;
	}
	d->last_id = id;
	d->last_loc = loc;
	if (is_error)
		d->errors++;
	else
		d->warnings++;
	if (d->out) {
		if (loc.src && loc.line)
			fprintf(d->out, "%s:%u:%u: ", loc.src->path, loc.line,
			        loc.col);
		else if (loc.src)
			fprintf(d->out, "%s: ", loc.src->path);
		else
			fputs("cfidl: ", d->out);
		fputs(is_error ? "error: " : "warning: ", d->out);
		va_list ap;
		va_start(ap, id);
		vfprintf(d->out, catalogue[id].format, ap);
		va_end(ap);
		fprintf(d->out, " [%s]\n", cf_diag_code(id));
		echo_line(d->out, loc);
	}
	if (is_error && d->errors >= max && id != CF_DIAG_TOO_MANY_ERRORS) {
		cf_report(d, loc, CF_DIAG_TOO_MANY_ERRORS);
		d->limit_hit = true;
		return false;
	}
	return true;
}
