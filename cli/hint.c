#include "hint.h"

#include <stdlib.h>
#include <string.h>

#include "casefold.h"
#include "report.h"
#include "suggest.h"
#include "util.h"

static bool on_menu(const struct menu *m, const struct proto_field *name)
{
	for (size_t i = 0; i < m->n; i++)
		if (casefold_equal_n(name->data, name->len, m->dishes[i].name, strlen(m->dishes[i].name)))
			return true;
	return false;
}

void hint_dish(struct ctl *ctl, const struct proto_field *names, size_t n)
{
	struct menu *m = NULL;
	_cleanup_free_ const char **dishes = NULL;
	char name[PROTO_MAX_NAME + 1];
	const char *meant;

	if (!ctl->client || !ctl->client->err_code || strcmp(ctl->client->err_code, PROTO_ERR_UNKNOWN_DISH) != 0)
		return;
	/* Quietly: the refusal was said, this is a courtesy. */
	if (client_call(ctl->client, PROTO_MENU, NULL, 0, ctl->timeout_ms) < 0 ||
	    menu_decode(ctl->client->reply, &m) < 0)
		return;
	dishes = calloc(m->n ? m->n : 1, sizeof(*dishes));
	for (size_t i = 0; dishes && i < m->n; i++)
		dishes[i] = m->dishes[i].name;
	for (size_t i = 0; dishes && i < n; i++) {
		if (on_menu(m, &names[i]) || names[i].len > PROTO_MAX_NAME)
			continue;
		memcpy(name, names[i].data, names[i].len);
		name[names[i].len] = '\0';
		meant = suggest_closest(name, dishes, m->n);
		if (meant)
			ctl_note("did you mean '%s'?", meant);
		break;
	}
	menu_free(&m);
}
