/*
 * keygen NAME [--dir DIR] — a new CURVE key pair in DIR/NAME.key (secret,
 * mode 0600) and DIR/NAME.pub (public, 0644). It needs no kitchend: the keys
 * are made here and written in the form keys.h describes.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "keys.h"
#include "util.h"
#include "verbs.h"

int verb_keygen(struct ctl *ctl, char **args, size_t n_args)
{
	_cleanup_free_ char *secret_path = NULL, *public_path = NULL;
	const char *dir = ctl->key_dir ? ctl->key_dir : ".";
	const char *name = args[0];
	struct keys_pair k;
	struct json j;
	int r;

	if (!keys_name_valid(name))
		return ctl_usage("invalid key name '%s': 1 to %d of A-Z a-z 0-9 . _ -, not starting with '.'",
				 name, KEYS_NAME_MAX);
	r = keys_generate(&k);
	if (r == -ENOTSUP)
		return ctl_error(r, "this libzmq has no CURVE support");
	if (r < 0)
		return ctl_error(r, "failed to make a key pair: %m");
	r = keys_save(dir, name, &k, &secret_path, &public_path);
	explicit_bzero(k.secret_key, sizeof(k.secret_key));
	if (r == -EEXIST)
		return ctl_error(r, "%s/%s.key or %s/%s.pub exists already; not replacing a key",
				 dir, name, dir, name);
	if (r < 0)
		return ctl_error(r, "failed to write the key pair %s into %s: %m", name, dir);

	if (ctl->json) {
		json_init(&j, stdout);
		json_object_begin(&j);
		json_key_string(&j, "name", name);
		json_key_string(&j, "public_key", k.public_key);
		json_key_string(&j, "secret_file", secret_path);
		json_key_string(&j, "public_file", public_path);
		json_object_end(&j);
		json_newline(&j);
	} else
		printf("%s: secret key, mode 0600: keep it on this host\n"
		       "%s: public key: give it to the peers\n"
		       "public key %s\n", secret_path, public_path, k.public_key);
	return 0;
}
