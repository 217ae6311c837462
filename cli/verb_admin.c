/* The verbs that ask kitchend to do something to itself: drain, reload. */
#include <stdio.h>

#include "json.h"
#include "verbs.h"

/* Both answer OK or ERR; an ERR has been said by ctl_request(). */
static int simple_request(struct ctl *ctl, enum proto_cmd cmd)
{
	const struct proto_msg *m;
	struct json j;
	int r;

	r = ctl_request(ctl, cmd, NULL, 0, 0, &m);
	if (r < 0)
		return r;
	if (ctl->json) {
		json_init(&j, stdout);
		json_object_begin(&j);
		json_key_bool(&j, "ok", true);
		json_object_end(&j);
		json_newline(&j);
	} else
		puts("OK");
	return 0;
}

int verb_drain(struct ctl *ctl, char **args, size_t n_args)
{
	return simple_request(ctl, PROTO_DRAIN);
}

int verb_reload(struct ctl *ctl, char **args, size_t n_args)
{
	return simple_request(ctl, PROTO_RELOAD);
}
