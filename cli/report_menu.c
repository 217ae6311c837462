/* The menu (MENU reply): what `menu` prints and what --random picks from. */
#include "report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "report_field.h"
#include "term.h"

void menu_free(struct menu **m)
{
	if (!m || !*m)
		return;
	for (size_t i = 0; i < (*m)->n; i++) {
		free((*m)->dishes[i].name);
		free((*m)->dishes[i].ingredients);
	}
	free((*m)->dishes);
	free(*m);
	*m = NULL;
}

int menu_decode(const struct proto_msg *m, struct menu **ret)
{
	struct menu *menu;
	size_t n;
	int r;

	if (m->n_fields % 2 != 0)
		return -EBADMSG;
	n = m->n_fields / 2;
	menu = calloc(1, sizeof(*menu));
	if (!menu)
		return -ENOMEM;
	menu->dishes = calloc(n ? n : 1, sizeof(*menu->dishes));
	if (!menu->dishes) {
		menu_free(&menu);
		return -ENOMEM;
	}
	for (size_t g = 0; g < n; g++) {
		menu->n = g + 1;
		if ((r = report_text(m, 2 * g, false, &menu->dishes[g].name)) < 0 ||
		    (r = report_text(m, 2 * g + 1, true, &menu->dishes[g].ingredients)) < 0) {
			menu_free(&menu);
			return r;
		}
	}
	*ret = menu;
	return 0;
}

void menu_print(const struct menu *m, FILE *f)
{
	for (size_t i = 0; i < m->n; i++) {
		const char *p = m->dishes[i].ingredients, *sep = " ";

		term_printf(f, "%s:", m->dishes[i].name);
		/* The '\n'-joined list, as "a, b, c". */
		while (*p) {
			size_t n = strcspn(p, "\n");

			term_printf(f, "%s%.*s", sep, (int) n, p);
			sep = ", ";
			p += n + (p[n] == '\n');
		}
		fputc('\n', f);
	}
}

void menu_json(const struct menu *m, struct json *j)
{
	json_array_begin(j);
	for (size_t i = 0; i < m->n; i++) {
		json_object_begin(j);
		json_key_string(j, "name", m->dishes[i].name);
		json_key_lines(j, "ingredients", m->dishes[i].ingredients);
		json_object_end(j);
	}
	json_array_end(j);
}
