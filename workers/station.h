/*
 * station — one cooking station: a thread that cooks one dish at a time.
 *
 * A station owns its two sockets (threads share only the zmq context): a
 * DEALER connected to the brigade's inproc ROUTER in the main thread, and a
 * PUSH to kitchend's sink. The conversation on the inproc pair never leaves
 * the process, so it has no KIT1 header; the DEALER's routing id is the
 * station's index in decimal:
 *
 *	station -> brigade  "FREE"                  ready for a dish: at start, then after each dish
 *	station -> brigade  "FAIL" errno            could not open its sink socket; the thread ends
 *	brigade -> station  "DISH" <struct dish *>  cook it; the station owns it from here
 *	brigade -> station  "CANCEL" id attempt     drop that dish if it is the one cooking (u64s, host order)
 *	brigade -> station  "STOP"                  end now, even mid-dish
 *
 * Cooking follows pipeline.h. For a followed dish each stage line goes to the
 * sink as PROGRESS chef_id dish_id attempt text (dropped, not waited for,
 * when the sink cannot take it); the dish ends with RESULT chef_id dish_id
 * attempt outcome result items, "served" or "failed" with the dish's reject
 * reason. A cancelled dish ends with RESULT "failed" STATION_CANCELLED, which
 * tells kitchend the station let it go (its credit comes back then); a dish
 * cut short by STOP sends nothing more.
 *
 * Every wait is a zmq_poll on the DEALER and the CPU work runs in slices with
 * a look at the DEALER in between, so CANCEL and STOP act within about a
 * millisecond even mid-dish. The brigade counts on that when the session with
 * kitchend is lost: it CANCELs every dish and waits for FREE from each
 * station before the chef announces all of them again.
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

/* The reason of the RESULT that answers a CANCEL. */
#define STATION_CANCELLED "cancelled"

struct keys_client;

struct station_args {
	void *ctx;                 /* the zmq context, shared */
	unsigned index;            /* also the routing id, "%u" */
	const char *brigade;       /* inproc endpoint of the brigade's ROUTER */
	const char *sink;          /* kitchend's sink endpoint */
	const char *chef_id;
	const struct keys_client *curve;  /* CURVE for a tcp:// sink, or NULL */
};

/* Start a station thread; @args is copied. 0 or -errno. */
int station_start(const struct station_args *args, pthread_t *ret_thread);
