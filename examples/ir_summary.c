/* ir_summary: prints what cfidl's JSON IR says about a library: its
 * declarations, each type's size and alignment, and each method's ordinal.
 * `make demo` runs it on the seed IDL. It is also the smallest example of a
 * back end: it reads nothing but the IR, with jansson.
 *
 * usage: ir_summary IR.json... */
#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const char *str(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s ? s : "?";
}

static json_int_t num(json_t *obj, const char *key)
{
	return json_integer_value(json_object_get(obj, key));
}

/* "fuchsia.vsock/Connector" -> "Connector" */
static const char *short_name(const char *full)
{
	const char *slash = strrchr(full, '/');
	return slash ? slash + 1 : full;
}

/* A layout the compiler named from its context (a method payload, an
 * inline layout): fidlc's naming_context has more than the name itself. */
static bool anonymous(json_t *decl)
{
	return json_array_size(json_object_get(decl, "naming_context")) > 1;
}

static void print_shaped(json_t *ir, const char *key, const char *kind)
{
	json_t *decls = json_object_get(ir, key);
	size_t i, hidden = 0;
	json_t *d;
	json_array_foreach(decls, i, d)
	{
		if (anonymous(d)) {
			hidden++;
			continue;
		}
		json_t *shape = json_object_get(d, "type_shape_v2");
		printf("  %-8s %-32s size %3" JSON_INTEGER_FORMAT
		       "  align %" JSON_INTEGER_FORMAT
		       "  handles %" JSON_INTEGER_FORMAT "\n",
		       kind, short_name(str(d, "name")),
		       num(shape, "inline_size"), num(shape, "alignment"),
		       num(shape, "max_handles"));
	}
	if (hidden)
		printf("  (and %zu %s%s named from their context: method "
		       "payloads and results)\n",
		       hidden, kind, hidden > 1 ? "s" : "");
}

/* Enums and bits: their underlying type and members. */
static void print_enums(json_t *ir, const char *key, const char *kind)
{
	json_t *decls = json_object_get(ir, key);
	size_t i;
	json_t *d;
	json_array_foreach(decls, i, d)
	{
		json_t *type = json_object_get(d, "type");
		const char *prim = json_is_string(type)
		                       ? json_string_value(type)
		                       : str(type, "subtype");
		printf("  %-8s %-32s %s, %zu members\n", kind,
		       short_name(str(d, "name")), prim,
		       json_array_size(json_object_get(d, "members")));
	}
}

static void print_protocols(json_t *ir)
{
	json_t *protocols = json_object_get(ir, "protocol_declarations");
	size_t i;
	json_t *p;
	json_array_foreach(protocols, i, p)
	{
		printf("  protocol %s\n", short_name(str(p, "name")));
		size_t j;
		json_t *m;
		json_array_foreach(json_object_get(p, "methods"), j, m)
		{
			bool req =
			    json_is_true(json_object_get(m, "has_request"));
			bool resp =
			    json_is_true(json_object_get(m, "has_response"));
			const char *kind = req && resp ? "two-way"
			                   : req       ? "one-way"
			                               : "event";
			json_t *ord = json_object_get(m, "ordinal");
			uint64_t ordinal =
			    json_is_integer(ord)
			        ? (uint64_t)json_integer_value(ord)
			        : 0;
			/* fidlc writes ordinals as numbers; a string is
			 * accepted too, for values above INT64_MAX. */
			if (json_is_string(ord))
				sscanf(json_string_value(ord), "%" SCNu64,
				       &ordinal);
			printf("    %-28s ordinal 0x%016" PRIx64 "  %s%s%s\n",
			       str(m, "name"), ordinal, kind,
			       json_is_true(json_object_get(m, "has_error"))
			           ? ", error"
			           : "",
			       json_is_false(json_object_get(m, "strict"))
			           ? ", flexible"
			           : "");
		}
	}
}

static void print_consts(json_t *ir)
{
	json_t *consts = json_object_get(ir, "const_declarations");
	size_t i;
	json_t *c;
	json_array_foreach(consts, i, c)
	{
		json_t *value = json_object_get(c, "value");
		printf("  const    %-32s = %s\n", short_name(str(c, "name")),
		       str(value, "value"));
	}
}

static size_t count(json_t *ir, const char *key)
{
	return json_array_size(json_object_get(ir, key));
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs("usage: ir_summary IR.json...\n", stderr);
		return 2;
	}
	int status = 0;
	for (int a = 1; a < argc; a++) {
		json_error_t err;
		json_t *ir = json_load_file(argv[a], 0, &err);
		if (!ir) {
			fprintf(stderr, "ir_summary: %s:%d: %s\n", argv[a],
			        err.line, err.text);
			status = 1;
			continue;
		}
		printf("library %s: %zu consts, %zu aliases, %zu enums, "
		       "%zu bits, %zu structs, %zu tables, %zu unions, %zu "
		       "protocols\n",
		       str(ir, "name"), count(ir, "const_declarations"),
		       count(ir, "alias_declarations"),
		       count(ir, "enum_declarations"),
		       count(ir, "bits_declarations"),
		       count(ir, "struct_declarations"),
		       count(ir, "table_declarations"),
		       count(ir, "union_declarations"),
		       count(ir, "protocol_declarations"));
		print_consts(ir);
		print_enums(ir, "enum_declarations", "enum");
		print_enums(ir, "bits_declarations", "bits");
		print_shaped(ir, "struct_declarations", "struct");
		print_shaped(ir, "table_declarations", "table");
		print_shaped(ir, "union_declarations", "union");
		print_protocols(ir);
		json_decref(ir);
	}
	return status;
}
