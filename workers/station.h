/*
 * station — one cooking station: a thread that cooks the dishes it is given
 * in order, one at a time: a single dish, or a batch of short ones.
 *
 * A station owns its two sockets (threads share only the zmq context): a
 * DEALER connected to the brigade's inproc ROUTER in the main thread, and a
 * PUSH to kitchend's sink. The conversation on the inproc pair never leaves
 * the process, so it has no version header; the DEALER's routing id is the
 * station's index in decimal:
 *
 *	station -> brigade  "FREE"                  ready for dishes: at start, then after each batch answered
 *	station -> brigade  "FAIL" errno            could not open its sink socket; the thread ends
 *	brigade -> station  "DISH" <struct ticket *>... cook them, in order; the station owns them from here
 *	brigade -> station  "CANCEL" id attempt     drop that dish of its batch (u64s, host order)
 *	brigade -> station  "STOP"                  end now, even mid-dish
 *
 * DISH carries one frame of 1 to STATION_BATCH_MAX dish pointers: the
 * brigade sends several only when each of them is short (brigade.h), so a
 * batch is well under a millisecond of work and no long dish waits behind
 * another. A station that cooks may get one DISH more, its next batch, when
 * its dish is about to be done (brigade.h): it keeps that batch, marks the
 * CANCELs of its dishes, and begins it right after the FREE that follows
 * the batch under way, without waiting for the brigade to hear that FREE.
 *
 * Cooking follows pipeline.h. For a followed dish each stage line goes to the
 * sink as PROGRESS chef_id token dish_id attempt text (dropped, not waited for,
 * when the sink cannot take it). When every dish of the batch is done, ONE
 * RESULT answers them all: chef_id, the session token (ticket.h), then a
 * group dish_id attempt outcome result items per dish, in the batch's order, "served" or "failed" with the
 * dish's reject reason; then the station says FREE. A dish cancelled before
 * its group went out — waiting in the batch, being cooked, or cooked and
 * waiting for the sink — is answered "failed" STATION_CANCELLED, which tells
 * kitchend the station let it go (its credit comes back then); it is not
 * cooked (further). STOP ends the batch at once and sends nothing more.
 *
 * The RESULT waits while the sink is full (the sink still wants served
 * dishes), except when every dish of the batch is cancelled: then the
 * station tries once and lets the batch go, so that a station whose sink is
 * away does not hold dishes nobody wants.
 *
 * Every wait is a zmq_poll on the DEALER and the CPU work runs in slices with
 * a look at the DEALER in between, so CANCEL and STOP act within about a
 * millisecond even mid-dish; the short dishes of a batch, which neither wait
 * nor work, get one look for the whole batch, before its RESULT (a look
 * costs a syscall, a no-op dish about 3 µs). The brigade counts on that when
 * the session with kitchend is lost: it CANCELs every dish and waits for
 * FREE from each station before the chef announces all of them again.
 *
 * A dish with a recipe (ticket.h, cookbook.h) runs its program instead
 * (recipe.h), alone in its batch (brigade.h). The station's wait is then one
 * zmq_poll over the DEALER and the run's fds (recipe_pollfds()), with the
 * run's deadline as the time-out, and recipe_step() after each wake: a
 * CANCEL calls recipe_cancel() (the program's group gets SIGTERM, then
 * SIGKILL after COOKBOOK_GRACE_MS) and the poll goes on until the group is
 * gone; a STOP frees the run, which kills it at once. For a followed dish
 * each stderr line goes out as PROGRESS. Exit 0 answers "served" with the
 * program's stdout, raw, as the result (items ""); anything else "failed"
 * with the run's reason ("exit 3: <last stderr line>", "killed by SIGSEGV",
 * "timed out after N ms"). The program's environment has KITCHEN_CHEF, the
 * chef's name, KITCHEN_ORDER and KITCHEN_DISH, the dish's number in its
 * order (from 1), and KITCHEN_DISH_ID, kitchend's id of the dish.
 *
 * A dish marked with a fault (fault.h, for tests only) is not cooked: the
 * station crashes the process, hangs until STOP, or answers "failed".
 */
#pragma once

#include <pthread.h>

#define STATION_FREE   "FREE"
#define STATION_FAIL   "FAIL"
#define STATION_DISH   "DISH"
#define STATION_CANCEL "CANCEL"
#define STATION_STOP   "STOP"

/*
 * Dishes in one DISH, as many as kitchend puts in one of its DISH messages
 * (DISHES_PER_MESSAGE, daemon/dispatch.c): a RESULT of 2 + 100 packed
 * groups is well within PROTO_MAX_FIELDS, and 100 no-op dishes take a
 * station about 0.3 ms.
 * Measured (bench throughput, 0.7.4, alternating runs): 32 → 64 → 100 gave
 * 168–191k → 193–230k → 222–239k dishes/s (128 and 200: no more), the
 * chefs' CPU a dish 4.6 → 2.6 µs; 16 costs ~30 % more than 32.
 */
#define STATION_BATCH_MAX 100

/* The reason of the RESULT that answers a CANCEL. */
#define STATION_CANCELLED "cancelled"

struct keys_client;

struct station_args {
	void *ctx;                 /* the zmq context, shared */
	unsigned index;            /* also the routing id, "%u" */
	const char *brigade;       /* inproc endpoint of the brigade's ROUTER */
	const char *sink;          /* kitchend's sink endpoint */
	const char *chef_id;
	const char *chef_name;     /* the chef's --name, for programs; NULL: chef_id */
	const struct keys_client *curve;  /* CURVE for a tcp:// sink, or NULL */
};

/* Start a station thread; @args is copied. 0 or -errno. */
int station_start(const struct station_args *args, pthread_t *ret_thread);
