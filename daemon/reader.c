#include "reader.h"

#include <errno.h>

#include "kitchen.h"
#include "malformed.h"

bool reader_run(struct kitchen *k, void *sock, const struct reader *r)
{
	for (unsigned spent = 0; spent < r->budget;) {
		struct proto_msg *m = k->msg;
		int e = proto_recv(sock, r->n_env, m, ZMQ_DONTWAIT);
		reader_fn handler;

		if (e == -EAGAIN)
			return false;
		spent++;
		if (e < 0) {
			malformed_refused(&k->malformed, r->name, m);
			if (r->refused)
				r->refused(k, m);
			continue;
		}
		if (r->req_delimiter && m->env[r->n_env - 1].len != 0) {
			malformed_count(&k->malformed, r->name, "no REQ delimiter");
			continue;
		}
		handler = r->handlers[m->cmd];
		if (!handler) {
			malformed_count(&k->malformed, r->name, "unexpected command");
			if (r->unexpected)
				r->unexpected(k, m);
			continue;
		}
		unsigned cost = handler(k, m);
		if (cost > 1)
			spent += cost - 1;
	}
	return true;
}
