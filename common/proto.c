#include "proto.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

struct proto_schema {
	const char *name;
	unsigned fixed;  /* fields before any group */
	unsigned group;  /* size of a repeated group; 0: none allowed */
	unsigned min_groups;
	bool packed;     /* groups packed: fields joined by '\t', groups length-prefixed, many a frame */
	bool raw_last;   /* a packed group's last field is bytes: to the group's end, anything */
	bool big;        /* frames up to PROTO_MAX_BIG, not PROTO_MAX_FIELD */
};

#define PACKED_SEPARATOR '\t'
#define PACK_LENGTH_END ':'
#define PACK_LENGTH_DIGITS 9  /* PROTO_MAX_BIG has 8 */

/* The one table the code enforces; docs/protocol.md describes each entry. */
static const struct proto_schema schemas[_PROTO_CMD_MAX] = {
	[PROTO_ORDER]     = { "ORDER",     4, 2, 1, false, false, true  },
	[PROTO_WAIT]      = { "WAIT",      2, 0, 0, false, false, false },
	[PROTO_SHOW]      = { "SHOW",      1, 0, 0, false, false, false },
	[PROTO_STATUS]    = { "STATUS",    0, 0, 0, false, false, false },
	[PROTO_MENU]      = { "MENU",      0, 0, 0, false, false, false },
	[PROTO_CHEFS]     = { "CHEFS",     0, 0, 0, false, false, false },
	[PROTO_DRAIN]     = { "DRAIN",     0, 0, 0, false, false, false },
	[PROTO_RELOAD]    = { "RELOAD",    0, 0, 0, false, false, false },
	[PROTO_REVOKE]    = { "REVOKE",    1, 1, 0, false, false, false },
	[PROTO_PURGE]     = { "PURGE",     1, 0, 0, false, false, false },
	[PROTO_RETRY]     = { "RETRY",     1, 1, 0, false, false, false },
	[PROTO_LIST]      = { "LIST",      7, 0, 0, false, false, false },
	[PROTO_OUTPUT]    = { "OUTPUT",    2, 0, 0, false, false, false },
	[PROTO_METRICS]   = { "METRICS",   0, 0, 0, false, false, false },
	[PROTO_ORDERS]    = { "ORDERS",    PROTO_ORDERS_FIXED, PROTO_ORDERS_GROUP, 1, true, true, true },
	[PROTO_WAITS]     = { "WAITS",     3, 0, 0, false, false, false },
	[PROTO_OK]        = { "OK",        0, 1, 0, false, false, true  },
	[PROTO_ERR]       = { "ERR",       2, 0, 0, false, false, false },
	[PROTO_READY]     = { "READY",     6, 0, 0, false, false, false },
	[PROTO_HEARTBEAT] = { "HEARTBEAT", 0, 0, 0, false, false, false },
	[PROTO_DISH]      = { "DISH",      1, PROTO_DISH_GROUP, 1, true, true, true },
	[PROTO_CANCEL]    = { "CANCEL",    2, 0, 0, false, false, false },
	[PROTO_PROGRESS]  = { "PROGRESS",  5, 0, 0, false, false, false },
	[PROTO_RESULT]    = { "RESULT",    2, 5, 1, true,  true,  true  },
	[PROTO_ORDERED]   = { "ORDERED",   3, 0, 0, false, false, false },
	[PROTO_STAGE]     = { "STAGE",     6, 0, 0, false, false, false },
	[PROTO_SERVED]    = { "SERVED",    7, 0, 0, false, false, false },
	[PROTO_FAILED]    = { "FAILED",    6, 0, 0, false, false, false },
	[PROTO_CANCELLED] = { "CANCELLED", 6, 0, 0, false, false, false },
	[PROTO_DONE]      = { "DONE",      6, 0, 0, false, false, false },
	[PROTO_CHEF]      = { "CHEF",      4, 0, 0, false, false, false },
};

const char *proto_cmd_name(enum proto_cmd cmd)
{
	if ((unsigned) cmd >= _PROTO_CMD_MAX)
		return "?";
	return schemas[cmd].name;
}

static int cmd_from_field(const struct proto_field *f, enum proto_cmd *ret)
{
	for (unsigned i = 0; i < _PROTO_CMD_MAX; i++) {
		size_t n = strlen(schemas[i].name);
		if (f->len == n && memcmp(f->data, schemas[i].name, n) == 0) {
			*ret = i;
			return 0;
		}
	}
	return -EPROTO;
}

struct proto_msg *proto_msg_new(void)
{
	struct proto_msg *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	for (size_t i = 0; i < PROTO_MAX_FRAMES; i++)
		zmq_msg_init(&m->parts[i]);
	return m;
}

static void msg_release(struct proto_msg *m)
{
	for (size_t i = 0; i < m->n_parts; i++) {
		zmq_msg_close(&m->parts[i]);
		zmq_msg_init(&m->parts[i]);
	}
	m->n_parts = 0;
	m->n_env = 0;
	m->n_fields = 0;
	m->fields = NULL;
	m->other_version[0] = '\0';
}

void proto_msg_free(struct proto_msg **m)
{
	if (!m || !*m)
		return;
	msg_release(*m);
	for (size_t i = 0; i < PROTO_MAX_FRAMES; i++)
		zmq_msg_close(&(*m)->parts[i]);
	free(*m);
	*m = NULL;
}

/* Read and drop the rest of a multipart message we have given up on. */
static void drain_rest(void *sock)
{
	zmq_msg_t part;
	int more;
	size_t len = sizeof(more);

	for (;;) {
		if (zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &len) < 0 || !more)
			return;
		zmq_msg_init(&part);
		if (zmq_msg_recv(&part, sock, 0) < 0) {
			zmq_msg_close(&part);
			return;
		}
		zmq_msg_close(&part);
	}
}

/* Split packed group @f into exactly @want fields at *@n of field_store; the
 * last may hold separators when @raw_last. */
static int unpack_group(struct proto_msg *m, const struct proto_field *f, unsigned want, bool raw_last,
			size_t *n)
{
	const char *p = f->data, *end = f->data + f->len;

	if (*n + want > PROTO_MAX_FIELDS)
		return -EPROTO;
	for (unsigned k = 0; k < want; k++) {
		const char *sep = k + 1 < want ? memchr(p, PACKED_SEPARATOR, (size_t) (end - p)) : end;

		if (!sep)
			return -EPROTO;
		m->field_store[(*n)++] = (struct proto_field) { p, (size_t) (sep - p) };
		p = sep + 1;
	}
	/* The last field runs to the end: a separator in text is one too many. */
	if (!raw_last && memchr(m->field_store[*n - 1].data, PACKED_SEPARATOR, m->field_store[*n - 1].len))
		return -EPROTO;
	return 0;
}

/* The length before a packed group: decimal, no leading zero, then ':'. */
static int group_length(const char **p, const char *end, size_t *ret)
{
	const char *q = *p;
	size_t v = 0;

	for (; q < end && *q >= '0' && *q <= '9'; q++) {
		if (q - *p == PACK_LENGTH_DIGITS || (q > *p && v == 0))
			return -EPROTO;
		v = v * 10 + (size_t) (*q - '0');
	}
	if (q == *p || q == end || *q != PACK_LENGTH_END)
		return -EPROTO;
	*p = q + 1;
	*ret = v;
	return 0;
}

/* Split a frame of packed groups, one or more, each whole, into their fields. */
static int unpack_frame(struct proto_msg *m, const struct proto_field *f, const struct proto_schema *s, size_t *n)
{
	const char *p = f->data, *end = f->data + f->len;

	if (f->len == 0)
		return -EPROTO;
	while (p < end) {
		size_t len;

		if (group_length(&p, end, &len) < 0 || len > (size_t) (end - p))
			return -EPROTO;
		if (unpack_group(m, &(struct proto_field) { p, len }, s->group, s->raw_last, n) < 0)
			return -EPROTO;
		p += len;
	}
	return 0;
}

/* Whether @f is a version frame of kitchen's, "KIT" and digits, if not ours. */
static bool is_other_version(const struct proto_field *f)
{
	if (f->len <= 3 || f->len > PROTO_VERSION_MAX || memcmp(f->data, "KIT", 3) != 0)
		return false;
	for (size_t i = 3; i < f->len; i++)
		if (f->data[i] < '0' || f->data[i] > '9')
			return false;
	return true;
}

/* Check frame_store[0..@n) as a message with @n_env envelope frames. */
static int validate(struct proto_msg *m, size_t n_env, size_t n)
{
	const struct proto_field *frames = m->frame_store;
	const struct proto_schema *s;
	size_t rest, n_fields;

	/* The envelope first, so whoever sent a malformed message can be answered. */
	if (n < n_env)
		return -EPROTO;
	for (size_t i = 0; i < n_env; i++)
		m->env[i] = frames[i];
	m->n_env = n_env;
	if (n < n_env + 2)
		return -EPROTO;
	if (frames[n_env].len > PROTO_MAX_FIELD || frames[n_env + 1].len > PROTO_MAX_FIELD)
		return -EPROTO;

	const struct proto_field *ver = &frames[n_env];
	if (ver->len != strlen(PROTO_VERSION) || memcmp(ver->data, PROTO_VERSION, ver->len) != 0) {
		if (is_other_version(ver)) {
			memcpy(m->other_version, ver->data, ver->len);
			m->other_version[ver->len] = '\0';
		}
		return -EPROTO;
	}
	if (cmd_from_field(&frames[n_env + 1], &m->cmd) < 0)
		return -EPROTO;

	s = &schemas[m->cmd];
	for (size_t i = n_env + 2; i < n; i++)
		if (frames[i].len > (s->big ? PROTO_MAX_BIG : PROTO_MAX_FIELD))
			return -EPROTO;
	frames += n_env + 2;
	n -= n_env + 2;
	if (n < s->fixed)
		return -EPROTO;
	rest = n - s->fixed;
	if (s->group == 0 && rest > 0)
		return -EPROTO;
	if (!s->packed) {
		if (s->group > 0 && (rest % s->group != 0 || rest / s->group < s->min_groups))
			return -EPROTO;
		m->fields = (struct proto_field *) frames;
		m->n_fields = n;
		return 0;
	}
	memcpy(m->field_store, frames, s->fixed * sizeof(*frames));
	n_fields = s->fixed;
	for (size_t i = 0; i < rest; i++)
		if (unpack_frame(m, &frames[s->fixed + i], s, &n_fields) < 0)
			return -EPROTO;
	if ((n_fields - s->fixed) / s->group < s->min_groups)
		return -EPROTO;
	m->fields = m->field_store;
	m->n_fields = n_fields;
	return 0;
}

/* On failure keep the envelope readable: a ROUTER may still want to answer. */
static int check(struct proto_msg *m, size_t n_env, size_t n)
{
	int r = validate(m, n_env, n);

	if (r < 0) {
		m->n_fields = 0;
		m->fields = NULL;
	}
	return r;
}

int proto_parse(struct proto_msg *m, size_t n_env, const struct proto_field *frames, size_t n)
{
	if (n_env > PROTO_MAX_ENVELOPE)
		return -EINVAL;
	msg_release(m);
	if (n > PROTO_MAX_FRAMES)
		return -EPROTO;
	memcpy(m->frame_store, frames, n * sizeof(*frames));
	return check(m, n_env, n);
}

int proto_recv(void *sock, size_t n_env, struct proto_msg *m, int flags)
{
	int more;
	size_t len = sizeof(more);
	int r;

	if (n_env > PROTO_MAX_ENVELOPE)
		return -EINVAL;
	msg_release(m);

	for (;;) {
		if (m->n_parts == PROTO_MAX_FRAMES) {
			drain_rest(sock);
			msg_release(m);
			return -EPROTO;
		}
		if (zmq_msg_recv(&m->parts[m->n_parts], sock, m->n_parts == 0 ? flags : 0) < 0) {
			r = -errno;
			/* A part failing mid-message would leave a half; drop it all. */
			if (m->n_parts > 0)
				drain_rest(sock);
			msg_release(m);
			return r;
		}
		m->n_parts++;
		if (zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &len) < 0 || !more)
			break;
	}

	for (size_t i = 0; i < m->n_parts; i++) {
		m->frame_store[i].data = zmq_msg_data(&m->parts[i]);
		m->frame_store[i].len = zmq_msg_size(&m->parts[i]);
	}
	return check(m, n_env, m->n_parts);
}

const char *proto_msg_property(const struct proto_msg *m, const char *name)
{
	/* The last frame came from the peer's connection; a ROUTER's
	 * routing id frame (the first) is its own and may carry none. */
	if (m->n_parts == 0)
		return NULL;
	return zmq_msg_gets((zmq_msg_t *) &m->parts[m->n_parts - 1], name);
}

size_t proto_groups(const struct proto_msg *m)
{
	const struct proto_schema *s = &schemas[m->cmd];

	if (s->group == 0 || m->n_fields < s->fixed)
		return 0;
	return (m->n_fields - s->fixed) / s->group;
}

size_t proto_group_field(const struct proto_msg *m, size_t g, size_t k)
{
	const struct proto_schema *s = &schemas[m->cmd];

	return s->fixed + g * s->group + k;
}

int proto_u64(const struct proto_msg *m, size_t i, uint64_t *ret)
{
	if (i >= m->n_fields)
		return -EINVAL;
	return proto_field_u64(&m->fields[i], ret);
}

int proto_unpack(const struct proto_field *f, struct proto_field *ret, size_t n)
{
	const char *p = f->data, *end = f->data + f->len;

	for (size_t k = 0; k < n; k++) {
		const char *sep = p < end ? memchr(p, PACKED_SEPARATOR, (size_t) (end - p)) : NULL;

		if ((k + 1 < n) != (sep != NULL))
			return -EINVAL;
		if (!sep)
			sep = end;
		ret[k] = (struct proto_field) { p, (size_t) (sep - p) };
		p = sep + 1;
	}
	return n > 0 ? 0 : -EINVAL;
}

int proto_field_u64(const struct proto_field *f, uint64_t *ret)
{
	uint64_t v = 0;

	if (f->len == 0 || f->len > 20)
		return -EINVAL;
	if (f->len > 1 && f->data[0] == '0')
		return -EINVAL;
	for (size_t k = 0; k < f->len; k++) {
		unsigned d = (unsigned char) f->data[k] - '0';
		if (d > 9)
			return -EINVAL;
		if (v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*ret = v;
	return 0;
}

/*
 * Whether the 8 bytes at @p are all printable ASCII (0x20..0x7e), or '\n'
 * when @multiline: the common case, checked a word at a time. A byte with
 * its top bit set makes it false; the caller looks at that word byte by byte.
 */
static bool word_plain(const unsigned char *p, bool multiline)
{
	const uint64_t ones = UINT64_C(0x0101010101010101), highs = ones * 0x80;
	uint64_t x, below, del, nl;

	memcpy(&x, p, sizeof(x));
	if (x & highs)
		return false;
	/* With every byte below 0x80, adding k < 0x80 to each byte carries
	 * into no other: a byte's top bit then says whether byte + k >= 0x80. */
	below = ~(x + ones * (0x80 - 0x20)) & highs;          /* bytes < 0x20 */
	del = ~((x ^ (ones * 0x7f)) + ones * 0x7f) & highs;   /* bytes == 0x7f */
	nl = multiline ? ~((x ^ (ones * '\n')) + ones * 0x7f) & highs : 0;  /* bytes == '\n' */
	return ((below & ~nl) | del) == 0;
}

bool proto_text_valid(const char *s, size_t len, bool multiline)
{
	const unsigned char *p = (const unsigned char *) s;
	size_t i = 0;

	while (i < len) {
		unsigned c = p[i];
		size_t n;
		uint32_t cp;

		if (i + 8 <= len && word_plain(p + i, multiline)) {
			i += 8;
			continue;
		}
		if (c < 0x80) {
			if (c == '\n' && multiline) {
				i++;
				continue;
			}
			if (c < 0x20 || c == 0x7f)
				return false;
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else
			return false;
		if (i + n >= len)
			return false;
		for (size_t k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		/* overlong, surrogates, beyond U+10FFFF */
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return false;
		/* C1 controls */
		if (cp >= 0x80 && cp <= 0x9f)
			return false;
		i += n + 1;
	}
	return true;
}

int proto_str(const struct proto_msg *m, size_t i, char *buf, size_t size)
{
	const struct proto_field *f;

	if (i >= m->n_fields)
		return -EINVAL;
	f = &m->fields[i];
	if (!proto_text_valid(f->data, f->len, true))
		return -EINVAL;
	if (f->len >= size)
		return -ENAMETOOLONG;
	memcpy(buf, f->data, f->len);
	buf[f->len] = '\0';
	return 0;
}

bool proto_field_is(const struct proto_msg *m, size_t i, const char *s)
{
	size_t n = strlen(s);

	return i < m->n_fields && m->fields[i].len == n && memcmp(m->fields[i].data, s, n) == 0;
}

/* Send the held frame, if any, with SNDMORE. false: the message has failed. */
static bool out_send_held(struct proto_out *o)
{
	if (o->r < 0)
		return false;
	if (o->pending) {
		o->pending = false;
		if (zmq_msg_send(&o->last, o->sock, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
			o->r = -errno;
			zmq_msg_close(&o->last);
			return false;
		}
	}
	return true;
}

/* Send the held frame; hold a copy of @data/@len as the new last one. */
static void out_push(struct proto_out *o, const void *data, size_t len)
{
	if (!out_send_held(o))
		return;
	if (zmq_msg_init_size(&o->last, len) < 0) {
		o->r = -errno;
		return;
	}
	if (len)
		memcpy(zmq_msg_data(&o->last), data, len);
	o->pending = true;
}

static void zmq_free(void *data, void *hint)
{
	(void) hint;
	free(data);
}

/* The same, handing @data (malloc()ed) over to the frame instead of copying it. */
static void out_push_owned(struct proto_out *o, void *data, size_t len)
{
	if (!out_send_held(o)) {
		free(data);
		return;
	}
	if (zmq_msg_init_data(&o->last, data, len, zmq_free, NULL) < 0) {
		o->r = -errno;
		free(data);
		return;
	}
	o->pending = true;
}

static void out_head(struct proto_out *o)
{
	const char *name = schemas[o->cmd].name;

	if (o->head_sent)
		return;
	o->head_sent = true;
	out_push(o, o->version, strlen(o->version));
	out_push(o, name, strlen(name));
}

void proto_out_begin(struct proto_out *o, void *sock, enum proto_cmd cmd)
{
	proto_out_begin_version(o, sock, cmd, PROTO_VERSION);
}

void proto_out_begin_version(struct proto_out *o, void *sock, enum proto_cmd cmd, const char *version)
{
	*o = (struct proto_out) { .sock = sock, .cmd = cmd, .version = version };
}

void proto_out_env(struct proto_out *o, const void *data, size_t len)
{
	if (o->head_sent && o->r == 0)
		o->r = -EINVAL;
	out_push(o, data, len);
}

/*
 * Add a field to the group being built. A group that cannot be built spoils
 * the message: it ends with an empty frame, which the receiver refuses, so
 * that it stays whole on the wire; proto_out_end() says why.
 */
static void pack_add(struct proto_out *o, bool first, bool raw, size_t max, const void *data, size_t len)
{
	size_t need = o->group_len + !first + len;
	int r = 0;

	if (!raw && memchr(data, PACKED_SEPARATOR, len))
		r = -EINVAL;
	else if (need > max)
		r = -EMSGSIZE;
	else
		r = buf_reserve(&o->group, &o->group_size, need);
	if (r < 0 && o->group_r == 0)
		o->group_r = r;
	if (o->group_r == 0) {
		if (!first)
			o->group[o->group_len++] = PACKED_SEPARATOR;
		if (len > 0)
			memcpy(o->group + o->group_len, data, len);
		o->group_len += len;
	}
}

/* The order report's dish group, whole: one frame of its own. */
static void pack_flush(struct proto_out *o)
{
	out_push(o, o->group, o->group_r == 0 ? o->group_len : 0);
	o->group_len = 0;
}

/* Send the frame of groups built so far; an empty one when the message is spoilt. */
static void frame_flush(struct proto_out *o)
{
	if (o->group_r < 0) {
		out_push(o, NULL, 0);
	} else if (o->frame_len > 0) {
		out_push_owned(o, o->frame, o->frame_len);
		o->frame = NULL;
		o->frame_size = 0;
	}
	o->frame_len = 0;
}

/* A whole group into the frame, after its length; a full frame goes first. */
static void frame_add_group(struct proto_out *o)
{
	char head[PACK_LENGTH_DIGITS + 1], *p = head + sizeof(head);
	size_t v = o->group_len, head_len;

	*--p = PACK_LENGTH_END;
	do
		*--p = (char) ('0' + v % 10);
	while ((v /= 10) > 0);
	head_len = (size_t) (head + sizeof(head) - p);
	if (o->group_r == 0 && o->frame_len > 0 && o->frame_len + head_len + o->group_len > PROTO_MAX_FIELD)
		frame_flush(o);
	if (o->group_r == 0 && buf_reserve(&o->frame, &o->frame_size, o->frame_len + head_len + o->group_len) < 0)
		o->group_r = -ENOMEM;
	if (o->group_r == 0) {
		memcpy(o->frame + o->frame_len, p, head_len);
		memcpy(o->frame + o->frame_len + head_len, o->group, o->group_len);
		o->frame_len += head_len + o->group_len;
	}
	o->group_len = 0;
}

static void out_packed(struct proto_out *o, const struct proto_schema *s, const void *data, size_t len)
{
	size_t k = (o->n_fields - s->fixed) % s->group;

	pack_add(o, k == 0, s->raw_last && k + 1 == s->group,
		 (s->big ? PROTO_MAX_BIG : PROTO_MAX_FIELD) - (PACK_LENGTH_DIGITS + 1), data, len);
	if (k + 1 == s->group)
		frame_add_group(o);
}

void proto_out_pack_begin(struct proto_out *o)
{
	o->packing = true;
	o->pack_n = 0;
	o->group_len = 0;
}

void proto_out_pack_end(struct proto_out *o)
{
	out_head(o);
	pack_flush(o);
	o->packing = false;
}

void proto_out_mem(struct proto_out *o, const void *data, size_t len)
{
	const struct proto_schema *s = &schemas[o->cmd];

	out_head(o);
	if (o->packing)
		pack_add(o, o->pack_n++ == 0, false, s->big ? PROTO_MAX_BIG : PROTO_MAX_FIELD, data, len);
	else if (s->packed && o->n_fields >= s->fixed)
		out_packed(o, s, data, len);
	else
		out_push(o, data, len);
	o->n_fields++;
}

void proto_out_str(struct proto_out *o, const char *s)
{
	proto_out_mem(o, s, strlen(s));
}

void proto_out_u64(struct proto_out *o, uint64_t v)
{
	char buf[20], *p = buf + sizeof(buf);  /* UINT64_MAX has 20 digits */

	do
		*--p = (char) ('0' + v % 10);
	while ((v /= 10) > 0);
	proto_out_mem(o, p, (size_t) (buf + sizeof(buf) - p));
}

int proto_out_end(struct proto_out *o, int flags)
{
	const struct proto_schema *s = &schemas[o->cmd];

	out_head(o);
	if (o->packing) {
		/* A group left open: it goes as it is, and is refused. */
		proto_out_pack_end(o);
		if (o->group_r == 0)
			o->group_r = -EINVAL;
	} else if (s->packed && o->n_fields > s->fixed) {
		/* Half a group spoils the message. */
		if ((o->n_fields - s->fixed) % s->group != 0 && o->group_r == 0)
			o->group_r = -EINVAL;
		frame_flush(o);
	}
	free(o->group);
	o->group = NULL;
	free(o->frame);
	o->frame = NULL;
	if (o->r == 0 && o->pending) {
		if (zmq_msg_send(&o->last, o->sock, flags) < 0)
			o->r = -errno;
		else
			o->pending = false;
	}
	if (o->pending) {
		zmq_msg_close(&o->last);
		o->pending = false;
	}
	return o->r < 0 ? o->r : o->group_r;
}

int proto_order_topic(uint64_t order_id, char *buf, size_t size)
{
	return snprintf(buf, size, "order.%llu.", (unsigned long long) order_id);
}

static const char *const state_names[_PROTO_STATE_MAX] = {
	[PROTO_STATE_QUEUED] = "queued",
	[PROTO_STATE_COOKING] = "cooking",
	[PROTO_STATE_SERVED] = "served",
	[PROTO_STATE_FAILED] = "failed",
	[PROTO_STATE_CANCELLED] = "cancelled",
};

const char *proto_state_name(enum proto_state s)
{
	return (unsigned) s < _PROTO_STATE_MAX ? state_names[s] : "?";
}

int proto_state_from_name(const char *s, size_t len)
{
	for (unsigned i = 0; i < _PROTO_STATE_MAX; i++)
		if (strlen(state_names[i]) == len && memcmp(s, state_names[i], len) == 0)
			return (int) i;
	return -EINVAL;
}

int proto_order_refusal(const struct proto_order_ask *ask, char *err, size_t size)
{
	const struct proto_field *key = &ask->key;
	size_t n = ask->n, stride = ask->stride ? ask->stride : 1;

	if (key->len > PROTO_KEY_MAX || !proto_text_valid(key->data, key->len, false)) {
		snprintf(err, size, "the order key must be text of at most %d bytes", PROTO_KEY_MAX);
		return -EINVAL;
	}
	if (ask->priority < PROTO_PRIORITY_MIN || ask->priority > PROTO_PRIORITY_MAX) {
		snprintf(err, size, "the priority must be a number from %d to %d", PROTO_PRIORITY_MIN,
			 PROTO_PRIORITY_MAX);
		return -EINVAL;
	}
	if (ask->due_ms > ask->now_ms && ask->due_ms - ask->now_ms > PROTO_DUE_MAX_MS) {
		snprintf(err, size, "the due time must be at most %llu days ahead",
			 (unsigned long long) (PROTO_DUE_MAX_MS / 86400000));
		return -EINVAL;
	}
	if (n == 0) {
		snprintf(err, size, "an order needs at least one dish");
		return -EINVAL;
	}
	if (n > PROTO_ORDER_MAX_DISHES) {
		snprintf(err, size, "an order holds at most %d dishes, not %zu", PROTO_ORDER_MAX_DISHES, n);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		const struct proto_field *name = &ask->names[i * stride];
		const struct proto_field *input = ask->inputs ? &ask->inputs[i * stride] : NULL;

		if (name->len > PROTO_MAX_NAME) {
			snprintf(err, size, "dish %zu: a dish name is at most %d bytes", i + 1, PROTO_MAX_NAME);
			return -EINVAL;
		}
		if (name->len == 0 || !proto_text_valid(name->data, name->len, false)) {
			snprintf(err, size, "dish %zu: the name is not valid UTF-8 text on one line", i + 1);
			return -EINVAL;
		}
		if (input && input->len > ask->max_input) {
			snprintf(err, size, "dish %zu: its input is %zu bytes; at most %zu are taken "
				 "(dishes.max_input)", i + 1, input->len, ask->max_input);
			return -EINVAL;
		}
	}
	return 0;
}

/* Bytes of the valid text character at @p (@len bytes left), 0 when it is not one. */
static size_t text_char(const char *p, size_t len)
{
	for (size_t k = len < 4 ? len : 4; k > 0; k--)
		if (proto_text_valid(p, k, false))
			return k;
	return 0;
}

size_t proto_text_preview(const void *data, size_t len, char *buf, size_t size)
{
	const char *p = data;
	size_t cap, n = 0, i = 0;

	if (size == 0)
		return 0;
	cap = size - 1 < PROTO_PREVIEW_MAX ? size - 1 : PROTO_PREVIEW_MAX;
	while (i < len && p[i] != '\n') {
		size_t k = text_char(p + i, len - i);

		if (n + (k ? k : 1) > cap)
			break;
		if (k)
			memcpy(buf + n, p + i, k);
		else
			buf[n] = '?';
		n += k ? k : 1;
		i += k ? k : 1;
	}
	/* Anything left but a last newline is said, with room made for it. */
	if (i < len && !(i + 1 == len && p[i] == '\n')) {
		while (n > 0 && n + 3 > cap)
			do
				n--;
			while (n > 0 && ((unsigned char) buf[n] & 0xc0) == 0x80);
		if (n + 3 <= cap) {
			memcpy(buf + n, "...", 3);
			n += 3;
		}
	}
	buf[n] = '\0';
	return n;
}

int proto_list_state_from_name(const char *s, size_t len)
{
	if (len == strlen(PROTO_LIST_DELAYED) && memcmp(s, PROTO_LIST_DELAYED, len) == 0)
		return _PROTO_STATE_MAX;
	return proto_state_from_name(s, len);
}
