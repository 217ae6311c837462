/*
 * proto — kitchen's wire protocol, version "KIT8".
 *
 * Every kitchen message is a ZeroMQ multipart message:
 *
 *	[envelope...] [version] [command] [field...]
 *
 * The envelope is what the socket type adds (a ROUTER's routing id, a REQ's
 * empty delimiter, a PUB topic); the version frame is always "KIT8"; the
 * command is one of the upper-case words below; fields are frames of bytes.
 * Numbers travel as unsigned decimal ASCII ("42"), text as UTF-8 without NUL
 * bytes or control characters (a list of names is one field, '\n'-joined).
 * docs/protocol.md is the readable specification; the table in proto.c is the
 * one the code enforces: for each command, a number of fixed fields, then
 * optionally repeated groups of a fixed size.
 *
 * The groups of DISH, RESULT and ORDERS, one per dish, are packed: a
 * group's fields are joined by '\t' (which no field can hold), each group
 * goes after its length in bytes ("123:"), and a frame holds as many whole
 * groups as fit in PROTO_MAX_FIELD bytes (one bigger group has a frame of
 * its own). A batch of 100 dishes is then one frame, not 100 or 1,200: on
 * either side each frame costs a message's handling in libzmq. Only the
 * wire differs: a received message has its packed groups split into fields,
 * and the sender adds fields one by one as for any command. The last field
 * of a DISH or RESULT group is bytes, not text (a dish's input, a program's
 * output): it runs to the end of its group and may hold anything, '\t' and
 * NUL too. The order report packs its dish groups by hand, a frame each and
 * without lengths (an OK has no table entry of its own):
 * proto_out_pack_begin(), proto_unpack().
 *
 * Frames are at most PROTO_MAX_FIELD bytes, but for the commands that carry
 * input and output (ORDER, DISH, RESULT, and the OK that answers OUTPUT),
 * whose frames may hold up to PROTO_MAX_BIG.
 *
 * Receiving:
 *
 *	struct proto_msg *m = proto_msg_new();
 *	r = proto_recv(sock, 1, m, ZMQ_DONTWAIT);  // 1 envelope frame (ROUTER)
 *	if (r == -EAGAIN) ... nothing to read
 *	if (r < 0) ... malformed: already consumed whole and dropped; count it
 *	proto_u64(m, 0, &order_id);
 *
 * Sending:
 *
 *	struct proto_out o;
 *	proto_out_begin(&o, sock, PROTO_RESULT);
 *	proto_out_env(&o, id, id_len);        // envelope frames first, if any
 *	proto_out_u64(&o, dish_id);
 *	r = proto_out_end(&o, ZMQ_DONTWAIT);
 *
 * proto_out_begin() holds the version and command back until the envelope is
 * added, so envelopes and fields are added in the order they go on the wire.
 * Every frame but the last goes out with ZMQ_DONTWAIT (a multipart message is
 * taken whole or refused at its first frame); the last with proto_out_end()'s
 * flags. The first failing send ends the message (nothing after it is sent, so a
 * ROUTER never takes a field for a routing id) and proto_out_end() returns it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zmq.h>

#define PROTO_VERSION "KIT8"
#define PROTO_VERSION_MAX 8  /* bytes of a version frame "KIT<digits>" */

/* Bounds every receiver enforces; set ZMQ_MAXMSGSIZE to PROTO_MAX_FIELD too. */
#define PROTO_MAX_FRAMES 1100   /* whole message, envelope included */
#define PROTO_MAX_FIELDS 1300   /* after splitting packed groups, envelope included: 100 DISH groups fit */
#define PROTO_MAX_FIELD  65536  /* bytes in one frame */
#define PROTO_MAX_NAME   64     /* bytes in a dish, ingredient or chef name */
#define PROTO_MAX_ENVELOPE 2
/* A dish's input (dishes.max_input is at most this) and its output. */
#define PROTO_MAX_INPUT  (1024 * 1024)
#define PROTO_MAX_OUTPUT (16 * 1024 * 1024)
/* A frame of ORDER, DISH, RESULT or OK: an output and the fields beside it. */
#define PROTO_MAX_BIG    (PROTO_MAX_OUTPUT + PROTO_MAX_FIELD)
/* The text that stands for an output in reports and events: its start,
 * made text (proto_text_preview()). */
#define PROTO_PREVIEW_MAX 240

enum proto_cmd {
	/* control requests, kitchenctl (REQ) -> kitchend (ROUTER) */
	PROTO_ORDER,    /* flags key priority due_ms (dish input)... -> OK order_id dishes */
	PROTO_WAIT,     /* order_id timeout_ms           -> OK <order report>, when done or timed out */
	PROTO_SHOW,     /* order_id                      -> OK <order report> */
	PROTO_STATUS,   /*                               -> OK <status report> */
	PROTO_MENU,     /*                               -> OK (name ingredients)... */
	PROTO_CHEFS,    /*                               -> OK (chef report)... */
	PROTO_DRAIN,    /*                               -> OK */
	PROTO_RELOAD,   /*                               -> OK | ERR */
	PROTO_REVOKE,   /* order_id index...             -> OK order_id cancelled cancelling finished */
	PROTO_PURGE,    /* dish ("" for every dish)      -> OK cancelled */
	PROTO_RETRY,    /* order_id index...             -> OK order_id retried */
	PROTO_LIST,     /* state dish key since_ms until_ms limit before -> OK next (listed order)... */
	PROTO_OUTPUT,   /* order_id first            -> OK next (index state output)... */
	PROTO_METRICS,  /*                               -> OK n value... (name host served failed)... (exposition.h) */
	PROTO_ORDERS,   /* flags priority due_ms (order dish input)... -> OK first_order_id orders dishes */
	PROTO_WAITS,    /* first_order_id orders timeout_ms -> OK (order_id state dishes)..., all done or timed out */
	/* control replies */
	PROTO_OK,       /* field... (depends on the request) */
	PROTO_ERR,      /* code message */
	/* dispatch, chef (DEALER) <-> kitchend (ROUTER) */
	PROTO_READY,    /* chef -> kitchend: name host pid stations credit skills */
	PROTO_HEARTBEAT,/* both ways, no fields */
	PROTO_DISH,     /* kitchend -> chef: token (dish_id attempt flags order_id index name ingredients prep_ms cook_ms season_ms cpu_work input)... */
	PROTO_CANCEL,   /* kitchend -> chef: dish_id attempt */
	/* sink, chef (PUSH) -> kitchend (PULL) */
	PROTO_PROGRESS, /* chef_id token dish_id attempt text: one stage line, only for followed dishes */
	PROTO_RESULT,   /* chef_id token (dish_id attempt outcome items result)...; outcome PROTO_OUTCOME_* */
	/* events, kitchend (PUB) -> kitchenctl (SUB); the envelope is the topic */
	PROTO_ORDERED,  /* order_id seq dishes ('\n'-joined names) */
	PROTO_STAGE,    /* order_id seq index dish chef text */
	PROTO_SERVED,   /* order_id seq index dish chef result items */
	PROTO_FAILED,   /* order_id seq index dish chef reason */
	PROTO_CANCELLED,/* order_id seq index dish chef reason */
	PROTO_DONE,     /* order_id seq state served failed cancelled */
	PROTO_CHEF,     /* seq chef state detail */
	_PROTO_CMD_MAX,
};

/*
 * A chef session's token: kitchend gives each session (READY) its own, in
 * every DISH, and counts a PROGRESS or RESULT only when it carries the
 * token of the session that holds the dish. 32 lowercase hex digits.
 */
#define PROTO_TOKEN_LEN 32

/*
 * An event's seq is its number among the events of its topic (one order's,
 * or the chefs'), from 1, counting only events kitchend published: a
 * follower that sees a gap between two it received missed the ones between
 * (kitchend drops events for a subscriber more than PROTO_EVENTS_BACKLOG
 * behind; docs/protocol.md).
 */
#define PROTO_EVENTS_BACKLOG 1000

/*
 * READY's skills: the dishes a chef cooks, '\n'-joined names (as on kitchend's
 * menu, ASCII case ignored), PROTO_SKILL_ANY for every dish that runs no
 * program (the simulated ones): a dish that runs a program goes only to a
 * chef that names it, since only a chef's own configuration says what runs
 * on its machine. At most PROTO_MAX_SKILLS names.
 */
#define PROTO_SKILL_ANY "*"
#define PROTO_MAX_SKILLS 256

/*
 * OUTPUT: the outputs of an order's dishes, whole and raw, from dish @first
 * on, in their order: a group per dish that has ended (its state; the output
 * of a served one, else ""), as many as fit PROTO_OUTPUT_REPLY_MAX bytes but
 * at least one; next is the index to ask for next, the order's dish count
 * when none is left.
 */
#define PROTO_OUTPUT_FIXED 1        /* next */
#define PROTO_OUTPUT_GROUP 3        /* index state output */
#define PROTO_OUTPUT_REPLY_MAX (8 * 1024 * 1024)

/* Fields of a PROTO_DISH group, as proto.c's table has it. */
#define PROTO_DISH_GROUP 12

/* Flags of a PROTO_DISH group (decimal bit set). */
#define PROTO_DISH_FOLLOWED 1u  /* someone follows: send PROGRESS lines */

/*
 * What kitchend accepts in a request. kitchenctl refuses the same before it
 * sends, in the same words: both call proto_order_refusal().
 */
#define PROTO_ORDER_MAX_DISHES 150  /* a report of the order fits one message (see below) */
#define PROTO_KEY_MAX 128           /* bytes of an idempotency key */
/* Dishes in one ORDERS, over all its orders: each is one packed group
 * (order dish input), three fields once split. */
#define PROTO_ORDERS_MAX_DISHES 400
#define PROTO_ORDERS_FIXED 3        /* flags priority due_ms */
#define PROTO_ORDERS_GROUP 3
_Static_assert(4 + PROTO_ORDERS_FIXED + PROTO_ORDERS_MAX_DISHES * PROTO_ORDERS_GROUP <= PROTO_MAX_FIELDS,
	       "an ORDERS of the most dishes splits into the fields a message may have");
#define PROTO_WAIT_MAX_MS 60000     /* the longest kitchend holds a WAIT or WAITS */
/* Orders one WAITS waits for, consecutive ids; its reply has a packed
 * group (order_id state dishes) for each. */
#define PROTO_WAITS_MAX_ORDERS 400
#define PROTO_WAITS_GROUP 3
_Static_assert(2 + PROTO_WAITS_MAX_ORDERS * PROTO_WAITS_GROUP <= PROTO_MAX_FIELDS,
	       "a WAITS reply splits into the fields a message may have");

/* An order's priority: dishes of a higher one are cooked first. */
#define PROTO_PRIORITY_MIN 1
#define PROTO_PRIORITY_DEFAULT 5
#define PROTO_PRIORITY_MAX 9

/*
 * An order's due time (ORDER's due_ms, wall clock ms since the epoch): its
 * dishes wait until then. 0, or a time past, is at once; at most
 * PROTO_DUE_MAX_MS ahead of kitchend's clock.
 */
#define PROTO_DUE_MAX_MS (366ull * 86400000)

/*
 * The state of a dish, and of an order as a whole, in reports and events
 * ("queued", ...). The numbers are also what the order store keeps: new
 * states are appended, never renumbered.
 */
enum proto_state {
	PROTO_STATE_QUEUED,
	PROTO_STATE_COOKING,
	PROTO_STATE_SERVED,
	PROTO_STATE_FAILED,
	PROTO_STATE_CANCELLED,
	_PROTO_STATE_MAX,
};

/* The state of a finished order of which @failed dishes failed and
 * @cancelled were cancelled (the others served). */
static inline enum proto_state proto_order_final_state(uint64_t failed, uint64_t cancelled)
{
	return failed ? PROTO_STATE_FAILED : cancelled ? PROTO_STATE_CANCELLED : PROTO_STATE_SERVED;
}

/* "queued", "cooking", "served", "failed", "cancelled"; "?" out of range. */
const char *proto_state_name(enum proto_state s);
/* The state named by @len bytes at @s, or -EINVAL. */
int proto_state_from_name(const char *s, size_t len);

/* A RESULT group's outcome. */
#define PROTO_OUTCOME_SERVED "served"
#define PROTO_OUTCOME_FAILED "failed"

/*
 * Field counts of the report replies, so both sides agree. The order
 * report's dish groups are packed by hand (proto_out_pack_begin()): a frame
 * per dish, its fields '\t'-joined, split by proto_unpack(). started_ms is
 * when the dish's last attempt was handed to its chef, finished_ms when it
 * was served, failed or cancelled: wall clock, each 0 when not (yet).
 */
#define PROTO_ORDER_REPORT_FIXED 9  /* order_id state created_ms dishes served failed cancelled priority due_ms */
#define PROTO_ORDER_REPORT_GROUP 9  /* index name state attempts chef result detail started_ms finished_ms */
_Static_assert(4 + PROTO_ORDER_REPORT_FIXED + PROTO_ORDER_MAX_DISHES <= PROTO_MAX_FRAMES,
	       "a report of the largest order fits one message");
#define PROTO_STATUS_FIXED 12       /* version uptime_ms queued cooking served failed orders malformed store cancelled waiting events */
#define PROTO_STATUS_EVENTS 11      /* kitchend's endpoints.events, as configured (client_events_endpoint()) */

/*
 * LIST: the order book, newest first, a page at a time (docs/protocol.md).
 * A page holds at most PROTO_LIST_MAX orders, a group of PROTO_LIST_GROUP
 * fields each; "next" is the "before" of the next page, 0 when none is
 * left. A filter kitchend finds rarely gives short pages (empty ones too)
 * with a next: a page costs kitchend a bounded time, whatever is asked.
 */
#define PROTO_LIST_FIXED 1          /* next */
#define PROTO_LIST_GROUP 11         /* order_id state created_ms due_ms key queued cooking served failed cancelled dishes */
#define PROTO_LIST_MAX 90
_Static_assert(4 + PROTO_LIST_FIXED + PROTO_LIST_MAX * PROTO_LIST_GROUP <= PROTO_MAX_FRAMES,
	       "a page of the largest size fits one message");
/* LIST's state of an open order whose due time is ahead: a word of its own,
 * beside the dish states (which LIST takes too). */
#define PROTO_LIST_DELAYED "delayed"
/* LIST's state filter named by @len bytes at @s: a dish state, or
 * _PROTO_STATE_MAX for "delayed"; -EINVAL for another word. */
int proto_list_state_from_name(const char *s, size_t len);

/* STATUS's store field: the order store takes commits, or its disk is full. */
#define PROTO_STORE_OK   "ok"
#define PROTO_STORE_FULL "full"
#define PROTO_CHEF_GROUP 9          /* name host pid stations busy state served local skills */
/*
 * STATUS's waiting: the dishes set aside for a chef that can cook them (a
 * chef's skills), a line per dish "N ABLE NAME": N of them wait, ABLE of
 * the chefs connected can cook it (0: none can; they wait for one to
 * join). "" when none waits so.
 */

/* Control error codes (the ERR reply's first field). */
#define PROTO_ERR_BAD_REQUEST  "bad-request"
#define PROTO_ERR_UNKNOWN_DISH "unknown-dish"
#define PROTO_ERR_NOT_FOUND    "not-found"
#define PROTO_ERR_FINISHED     "finished"     /* nothing to change: what was named is done */
#define PROTO_ERR_FULL         "full"
#define PROTO_ERR_CLOSING      "closing"
#define PROTO_ERR_INTERNAL     "internal"
#define PROTO_ERR_BAD_CONFIG   "bad-config"
#define PROTO_ERR_KEY_REUSED   "key-reused"  /* an ORDER's key names an order of other dishes */

const char *proto_cmd_name(enum proto_cmd cmd);

struct proto_field {
	const char *data;  /* not NUL-terminated */
	size_t len;
};

/* One received message. Reused across receives; allocate it once per socket. */
struct proto_msg {
	enum proto_cmd cmd;
	size_t n_env;
	struct proto_field env[PROTO_MAX_ENVELOPE];
	size_t n_fields;
	struct proto_field *fields;
	/* After -EPROTO: the version the message said it was when that is
	 * another KIT version ("KIT1": a peer of another release), else "". */
	char other_version[PROTO_VERSION_MAX + 1];
	/* private */
	size_t n_parts;
	zmq_msg_t parts[PROTO_MAX_FRAMES];
	struct proto_field frame_store[PROTO_MAX_FRAMES];
	struct proto_field field_store[PROTO_MAX_FIELDS];
};

struct proto_msg *proto_msg_new(void);
void proto_msg_free(struct proto_msg **m);  /* NULL and *m == NULL are fine */

/*
 * Receive one whole message with @n_env envelope frames from @sock.
 * Returns 0 with @m filled; -EAGAIN when nothing is waiting (ZMQ_DONTWAIT);
 * -EPROTO for a malformed message (wrong version, unknown command, field
 * counts outside the command's table entry, a packed group without exactly
 * its fields, oversized frame): it has been read whole and dropped. Other -errno from zmq_msg_recv.
 * The fields stay valid until the next proto_recv() on @m.
 */
int proto_recv(void *sock, size_t n_env, struct proto_msg *m, int flags);

/*
 * The checks of proto_recv() on @n frames already in memory (envelope
 * first): 0 with @m filled, its fields pointing into @frames (which must
 * outlive them); -EPROTO for a malformed message, the envelope still readable
 * when there was one. For tests and fuzzers; the daemons use proto_recv().
 */
int proto_parse(struct proto_msg *m, size_t n_env, const struct proto_field *frames, size_t n);

/*
 * A property of the connection @m came on (zmq_msg_gets(3)): "User-Id" (set
 * by a ZAP handler), "Peer-Address" (an IP address; for ipc
 * "localhost:UID:GID:PID"), ...; NULL when it has none, or when @m was not
 * received from a socket (proto_parse()).
 */
const char *proto_msg_property(const struct proto_msg *m, const char *name);

/* Number of repeated groups after the command's fixed fields. */
size_t proto_groups(const struct proto_msg *m);
/* Index of field @k of group @g. */
size_t proto_group_field(const struct proto_msg *m, size_t g, size_t k);

/* Typed field readers: -EINVAL when the field is not of that type. */
int proto_u64(const struct proto_msg *m, size_t i, uint64_t *ret);
int proto_field_u64(const struct proto_field *f, uint64_t *ret);

/* Split @f, a group packed by proto_out_pack_begin(), into exactly @n
 * fields at @ret (pointing into @f's bytes); -EINVAL when it holds another
 * number of them. */
int proto_unpack(const struct proto_field *f, struct proto_field *ret, size_t n);
/* Copy field @i as a NUL-terminated string into @buf; -EINVAL if it is not
 * valid text (see proto_text_valid), -ENAMETOOLONG if it does not fit. */
int proto_str(const struct proto_msg *m, size_t i, char *buf, size_t size);
bool proto_field_is(const struct proto_msg *m, size_t i, const char *s);

/* Valid UTF-8, no NUL, no control characters except '\n' when @multiline. */
bool proto_text_valid(const char *s, size_t len, bool multiline);

/*
 * The text that stands for @len bytes of output at @data in a report or an
 * event: its first line, cut to fit @size (at most PROTO_PREVIEW_MAX + 1 are
 * used), bytes that are not text made '?', "..." when anything was left out.
 * Returns the length written (NUL-terminated).
 */
size_t proto_text_preview(const void *data, size_t len, char *buf, size_t size);

/* What an ORDER asks for, as proto_order_refusal() checks it. */
struct proto_order_ask {
	struct proto_field key;           /* "" for none */
	uint64_t priority;                /* PROTO_PRIORITY_MIN .. PROTO_PRIORITY_MAX */
	uint64_t due_ms;                  /* 0, or at most PROTO_DUE_MAX_MS after @now_ms */
	uint64_t now_ms;                  /* the checker's wall clock */
	const struct proto_field *names;  /* @n dish names */
	const struct proto_field *inputs; /* their @n inputs, or NULL for none */
	size_t stride;                    /* fields from a dish to the next in both: 0 is 1
	                                   * (arrays), 2 points them into an ORDER's fields */
	size_t max_input;                 /* bytes of one input: dishes.max_input, or PROTO_MAX_INPUT */
	size_t n;
};

/*
 * Why kitchend would refuse the ORDER @ask before it looks at its menu: a
 * sentence in @err (ERR code PROTO_ERR_BAD_REQUEST), returning -EINVAL;
 * 0 when nothing is wrong with it.
 */
int proto_order_refusal(const struct proto_order_ask *ask, char *err, size_t size);

struct proto_out {
	void *sock;
	int r;
	bool pending;
	bool head_sent;
	enum proto_cmd cmd;
	const char *version;
	zmq_msg_t last;
	size_t n_fields;      /* added so far */
	char *group;          /* the packed group being built; freed by proto_out_end() */
	size_t group_len, group_size;
	char *frame;          /* the frame of packed groups being built; the same */
	size_t frame_len, frame_size;
	int group_r;          /* why the packed groups spoil the message */
	bool packing;         /* between proto_out_pack_begin() and _end() */
	size_t pack_n;        /* fields packed so far */
};

void proto_out_begin(struct proto_out *o, void *sock, enum proto_cmd cmd);
/* The same, with @version in the version frame: to answer a peer of another
 * version in its own, with an ERR (whose fields every version shares). */
void proto_out_begin_version(struct proto_out *o, void *sock, enum proto_cmd cmd, const char *version);
void proto_out_env(struct proto_out *o, const void *data, size_t len);
void proto_out_mem(struct proto_out *o, const void *data, size_t len);
void proto_out_str(struct proto_out *o, const char *s);
void proto_out_u64(struct proto_out *o, uint64_t v);
/*
 * The fields added between the two go out as one frame, joined by '\t', for
 * a reply whose groups are packed (an OK has no table entry of its own to
 * say so). None may hold a '\t'; the whole is at most a frame of the command.
 * A group that cannot be built goes out empty (the receiver refuses it) and
 * proto_out_end() returns why; a command's packed groups end their message
 * with an empty frame instead, to the same effect.
 */
void proto_out_pack_begin(struct proto_out *o);
void proto_out_pack_end(struct proto_out *o);
/*
 * Send the last frame with @flags (ZMQ_DONTWAIT or 0); 0 or -errno. Always
 * call it. A packed group that cannot be built — a field holding '\t' or a
 * group left half (-EINVAL), over PROTO_MAX_FIELD bytes (-EMSGSIZE) — still
 * goes out, as a frame the receiver refuses, so the message stays whole on
 * the wire; the error is returned here.
 */
int proto_out_end(struct proto_out *o, int flags);

/* A PUB topic for an order's events: "order.<id>." (the trailing dot keeps
 * "order.4." from matching order 42). Returns the length written. */
int proto_order_topic(uint64_t order_id, char *buf, size_t size);
#define PROTO_TOPIC_CHEFS "chef."
