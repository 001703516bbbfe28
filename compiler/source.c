#include "source.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dup_string(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = malloc(n);
	if (p)
		memcpy(p, s, n);
	return p;
}

cf_source *cf_source_from_memory(const char *path, const char *text, size_t len)
{
	cf_source *src = calloc(1, sizeof(*src));
	if (!src)
		return NULL;
	src->path = dup_string(path);
	src->text = malloc(len + 1);
	if (!src->path || !src->text) {
		cf_source_free(src);
		return NULL;
	}
	if (len)
		memcpy(src->text, text, len);
	src->text[len] = '\0';
	src->len = len;
	return src;
}

int cf_source_load(const char *path, cf_source **out)
{
	*out = NULL;
	FILE *f = fopen(path, "rb");
	if (!f)
		return errno;
	size_t cap = 64 * 1024, len = 0;
	char *buf = malloc(cap);
	int err = 0;
	while (buf) {
		size_t n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0) {
			if (ferror(f))
				err = EIO;
			break;
		}
		if (len == cap) {
			if (cap >= CF_MAX_SOURCE_BYTES) {
				err = EFBIG;
				break;
			}
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
	}
	fclose(f);
	if (!buf)
		return ENOMEM;
	if (err) {
		free(buf);
		return err;
	}
	cf_source *src = cf_source_from_memory(path, buf, len);
	free(buf);
	if (!src)
		return ENOMEM;
	*out = src;
	return 0;
}

void cf_source_free(cf_source *src)
{
	if (!src)
		return;
	free(src->path);
	free(src->text);
	free(src);
}

int cf_source_line(const cf_source *src, uint32_t line, const char **start,
                   size_t *len)
{
	if (!src || line == 0)
		return 0;
	const char *p = src->text, *end = src->text + src->len;
	for (uint32_t l = 1; l < line; l++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return 0;
		p = nl + 1;
	}
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	*start = p;
	*len = (size_t)((nl ? nl : end) - p);
	if (*len && p[*len - 1] == '\r')
		(*len)--;
	return 1;
}
