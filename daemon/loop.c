/*
 * loop — kitchend's event loop: one zpoll() over the sockets, a signalfd and
 * the store's eventfd, one turn at a time (see kitchen.h), and what it tells
 * systemd.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

#include "control.h"
#include "dispatch.h"
#include "events.h"
#include "kitchen.h"
#include "log.h"
#include "orders.h"
#include "pending.h"
#include "reload.h"
#include "sink.h"
#include "store.h"
#include "util.h"
#include "zap.h"
#include "zpoll.h"

#define STOP_GRACE_MS 5000

static void on_chef_exit(struct pool_slot *slot, int status, void *u)
{
	struct kitchen *k = u;
	char how[128];

	pool_describe_status(status, how, sizeof(how));
	if (slot->retired)
		log_info("%s (pid %d) %s: scaled down", slot->name, (int) slot->pid, how);
	else if (k->pool.stopping)
		log_debug("%s (pid %d) %s", slot->name, (int) slot->pid, how);
	else
		log_warning("%s (pid %d) %s; restarting it in %llu ms", slot->name, (int) slot->pid, how,
			    (unsigned long long) (slot->restart_at_ms - now_ms()));
	dispatch_local_exit(k, slot->name, (uint64_t) slot->pid, how, pool_status_crashed(status));
	events_chef(k->events, slot->name, "exited", how);
}

static void begin_stop(struct kitchen *k, const char *why)
{
	struct orders_counts n;

	if (k->stop_deadline_ms)
		return;
	orders_counts(k->orders, &n);
	log_notice("Stopping (%s): no new orders; %llu cooking dishes may finish, %llu queued ones stay in the store",
		   why, (unsigned long long) n.cooking, (unsigned long long) n.queued);
	sd_notify(0, "STOPPING=1");
	k->stopping = true;
	k->stop_deadline_ms = now_ms() + k->config->drain_timeout_ms;
}

static void read_signals(struct kitchen *k)
{
	struct signalfd_siginfo si;

	while (read(k->signal_fd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			if (k->stop_deadline_ms) {
				/* Asked twice: don't wait for the cooking any more. */
				k->stop_deadline_ms = now_ms();
				break;
			}
			begin_stop(k, si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
			break;
		case SIGHUP: {
			char err[512];
			(void) kitchen_reload(k, err, sizeof(err));
			break;
		}
		case SIGCHLD:
			pool_reap(&k->pool, now_ms(), on_chef_exit, k);
			break;
		default:
			break;
		}
	}
}

/*
 * Stopping: first the cooking dishes finish (or drain_timeout_ms passes),
 * then the local chefs are told to go, then killed if they linger; kitchend
 * stops once they are gone and everything written is committed, its
 * replies sent.
 */
static void advance_stop(struct kitchen *k, uint64_t now)
{
	struct orders_counts n;

	if (!k->stopping)
		return;
	if (!k->stop_deadline_ms)
		begin_stop(k, "drain requested");
	orders_counts(k->orders, &n);
	if (!k->pool.stopping) {
		if (n.cooking > 0 && now < k->stop_deadline_ms)
			return;
		if (n.cooking > 0)
			log_warning("%llu %s still cooking after %llu ms; %s will be cooked again on the next start",
				    (unsigned long long) n.cooking, plural(n.cooking, "dish", "dishes"),
				    (unsigned long long) k->config->drain_timeout_ms, plural(n.cooking, "it", "they"));
		pool_stop(&k->pool, SIGTERM);
		k->stop_deadline_ms = now + STOP_GRACE_MS;
	}
	if (pool_running(&k->pool) == 0) {
		if (store_written(k->store) <= store_committed(k->store)) {
			/* Every long poll ends with kitchend: its client hears it
			 * now, not at its time-out. */
			pending_expire_waits(k, UINT64_MAX);
			pending_after_commit(k, store_committed(k->store), false);
		}
		if (store_written(k->store) <= store_committed(k->store) && pending_idle(k->pending))
			k->done = true;
		else if (store_full(k->store)) {
			/* Waiting for space could take for ever. */
			log_warning("Stopping with the order store's disk still full: the last dishes served "
				    "are not recorded and will be cooked again on the next start");
			k->done = true;
		}
		return;
	}
	if (now >= k->stop_deadline_ms) {
		log_warning("Local chefs did not stop within %u ms; killing them", STOP_GRACE_MS);
		pool_stop(&k->pool, SIGKILL);
		k->stop_deadline_ms = now + STOP_GRACE_MS;
	}
}

static void notify_status(struct kitchen *k, uint64_t now)
{
	static uint64_t last_ms;
	struct orders_counts n;

	if (now - last_ms < 1000)
		return;
	last_ms = now;
	orders_counts(k->orders, &n);
	sd_notifyf(0, "STATUS=%zu %s; %llu queued, %llu cooking, %llu served, %llu failed%s",
		   k->chefs.len, plural(k->chefs.len, "chef", "chefs"), (unsigned long long) n.queued, (unsigned long long) n.cooking,
		   (unsigned long long) n.served, (unsigned long long) n.failed,
		   store_full(k->store) ? "; the disk is full: orders refused" : "");
}

/*
 * What the store's retention deleted, at info level: at once the first
 * time, then at most every PRUNE_NOTE_MS, the orders since the last line.
 * A failed step is not fatal (the writer tries again): a warning, as rare.
 */
#define PRUNE_NOTE_MS 60000

static void note_pruned(struct kitchen *k, uint64_t now)
{
	struct store_pruned p, *said = &k->pruned_said;
	char why[256];

	if (now < k->next_prune_note_ms)
		return;
	store_pruned(k->store, &p, why, sizeof(why));
	if (p.orders == said->orders && p.failures == said->failures) {
		k->next_prune_note_ms = now + 1000;  /* nothing new: look again in a second */
		return;
	}
	if (p.orders > said->orders)
		log_info("Pruned %llu finished order%s (%llu dish rows) from the order store; %llu "
			 "since the start", (unsigned long long) (p.orders - said->orders),
			 p.orders - said->orders == 1 ? "" : "s", (unsigned long long) (p.dishes - said->dishes),
			 (unsigned long long) p.orders);
	if (p.failures > said->failures && why[0])
		log_warning("Failed to prune the order store: %s, ignoring; trying again in %d s", why,
			    STORE_PRUNE_RETRY_MS / 1000);
	*said = p;
	k->next_prune_note_ms = now + PRUNE_NOTE_MS;
}

/* WATCHDOG=1 from the loop itself: a loop that stalls stops the pings,
 * and systemd restarts it. */
static void notify_watchdog(struct kitchen *k, uint64_t now)
{
	if (!k->watchdog_ms || now < k->next_watchdog_ms)
		return;
	sd_notify(0, "WATCHDOG=1");
	k->next_watchdog_ms = now + k->watchdog_ms;
}

static long poll_timeout(struct kitchen *k, uint64_t now, bool busy)
{
	uint64_t next = k->next_heartbeat_ms;
	uint64_t t;

	if (k->watchdog_ms && k->next_watchdog_ms < next)
		next = k->next_watchdog_ms;
	if (busy)
		return 0;
	if (!k->stopping && orders_waiting(k->orders) && dispatch_has_credit(k, now))
		return 0;
	t = dispatch_next_lead(k, now);
	if (t < next)
		next = t;
	t = pool_next_start(&k->pool);
	if (t < next)
		next = t;
	t = pending_next_deadline(k->pending);
	if (t < next)
		next = t;
	t = orders_next_release(k->orders);
	if (t < next)
		next = t;
	t = orders_next_due(k->orders);  /* wall clock */
	if (t != UINT64_MAX) {
		uint64_t wall = wall_ms();

		t = t > wall ? now + (t - wall) : now;
		if (t < next)
			next = t;
	}
	if (!k->ready_sent && now + 100 < next)
		next = now + 100;
	if (k->config->dishes_timeout_ms && k->next_expiry_ms < next)
		next = k->next_expiry_ms;
	if (k->stopping && now + 100 < next)
		next = now + 100;
	if (now + 1000 < next)
		next = now + 1000;
	return next > now ? (long) (next - now) : 0;
}

/*
 * READY=1 once the local chefs have joined (or READY_WAIT_MS passed: a chef
 * that cannot start must not keep systemd waiting; status shows it).
 */
#define READY_WAIT_MS 5000

static void notify_ready(struct kitchen *k, uint64_t now)
{
	size_t joined = 0;

	if (k->ready_sent)
		return;
	for (const struct chef *c = k->chefs.head; c; c = c->next)
		if (c->local)
			joined++;
	if (joined < k->config->chefs_local && now - k->started_ms < READY_WAIT_MS)
		return;
	k->ready_sent = true;
	sd_notify(0, "READY=1");
	log_info("Ready: %zu of %u local chefs joined; control on %s", joined, k->config->chefs_local,
		 k->config->endpoints[CONFIG_ENDPOINT_CONTROL]);
}

static void refuse_dropped(const struct order *o, void *u)
{
	struct kitchen *k = u;
	int r = store_drop_order(k->store, o->id);

	if (r < 0)
		log_fields(LOG_DEBUG, r, &(struct log_about) { .order = o->id },
			   "Order %llu was not waiting to be committed: %m", (unsigned long long) o->id);
	pending_refuse_order(k, o->id, PROTO_ERR_FULL,
			     "the order store's disk is full: the order was not stored; try again later");
}

/*
 * A commit failed for lack of space (store.h): the store keeps what was
 * written and tries again every STORE_RETRY_MS. The orders not committed
 * are taken out of it and refused, so that no client is left waiting on a
 * disk that may stay full; new ones are refused (control.c) until a commit
 * succeeds; cooking goes on, its records kept until then.
 */
static void disk_full(struct kitchen *k, bool was_full)
{
	if (!was_full)
		log_error("Failed to commit to the order store: %s. New orders are refused until its disk "
			  "in '%s' has space; cooking goes on, and kitchend tries again every %d ms",
			  store_error(k->store), k->config->state_dir, STORE_RETRY_MS);
	orders_drop_admitted(k->orders, refuse_dropped, k);
}

static void on_follow(uint64_t order_id, void *u)
{
	orders_follow(u, order_id);
}

/*
 * The recount of orders.h and dispatch.h, in builds with KITCHEN_CHECKS
 * (debug ones): every turn while the kitchen holds few dishes, else once a
 * second (a recount is linear in the open dishes). A disagreement is a bug:
 * abort, so that the tests see it where it happened.
 */
#define CHECK_EVERY_TURN_DISHES 20000

static void check(struct kitchen *k, uint64_t now)
{
#ifdef KITCHEN_CHECKS
	static uint64_t last_ms;
	struct orders_counts n;

	orders_counts(k->orders, &n);
	if (n.queued + n.cooking > CHECK_EVERY_TURN_DISHES && now - last_ms < 1000)
		return;
	last_ms = now;
	if (orders_check(k->orders) < 0 || dispatch_check(k) < 0) {
		log_set_max_priority(LOG_DEBUG);
		(void) orders_check(k->orders);  /* again, to say what disagrees */
		(void) dispatch_check(k);
		log_error("The order book disagrees with its counters: a bug; aborting");
		abort();
	}
#else
	(void) k;
	(void) now;
#endif
}

/* What the loop polls, in this order; the ZAP handler's sockets last. */
enum {
	ITEM_SINK,
	ITEM_DISPATCH,
	ITEM_CONTROL,
	ITEM_EVENTS,
	ITEM_SIGNALS,
	ITEM_STORE,
	ITEM_ZAP,
};
_Static_assert(ITEM_ZAP + ZAP_POLL_MAX <= ZPOLL_MAX, "the loop polls more items than zpoll() takes");

int kitchen_run(struct kitchen *k)
{
	struct orders_counts n;
	bool busy = false;
	uint64_t usec;

	k->next_heartbeat_ms = now_ms();
	if (sd_watchdog_enabled(0, &usec) > 0)
		k->watchdog_ms = usec / 2000 ? usec / 2000 : 1;

	while (!k->done) {
		zmq_pollitem_t items[ITEM_ZAP + ZAP_POLL_MAX] = {
			[ITEM_SINK] = { .socket = k->sink, .events = ZMQ_POLLIN },
			[ITEM_DISPATCH] = { .socket = k->dispatch, .events = ZMQ_POLLIN },
			[ITEM_CONTROL] = { .socket = k->control, .events = ZMQ_POLLIN },
			[ITEM_EVENTS] = { .socket = k->events_sock, .events = ZMQ_POLLIN },
			[ITEM_SIGNALS] = { .fd = k->signal_fd, .events = ZMQ_POLLIN },
			[ITEM_STORE] = { .fd = store_fd(k->store), .events = ZMQ_POLLIN },
		};
		size_t n_items = ITEM_ZAP + zap_poll_items(k->zap, items + ITEM_ZAP);
		uint64_t now = now_ms(), committed;
		bool full;
		int r;

		r = zpoll(items, n_items, poll_timeout(k, now, busy));
		if (r < 0 && r != -EINTR)
			return log_error_errno(r, "Failed to poll: %m"), 1;
		metrics_turn(&k->metrics);  /* the stamp of this turn's dish events */

		/* Only what zpoll() says holds input: a read of nothing costs
		 * system calls, too. A reader stopped at its budget leaves
		 * input there, which the next zpoll() sees at once. */
		busy = false;
		if (items[ITEM_SIGNALS].revents)
			read_signals(k);
		for (size_t i = ITEM_ZAP; i < n_items; i++)
			if (items[i].revents) {
				busy = zap_read(k->zap);  /* first: a handshake waits for it */
				break;
			}
		if (items[ITEM_SINK].revents)
			busy |= sink_read(k);
		if (items[ITEM_DISPATCH].revents)
			busy |= dispatch_read(k);
		if (items[ITEM_CONTROL].revents)
			busy |= control_read(k);
		if (items[ITEM_EVENTS].revents)
			busy |= events_read(k->events, on_follow, k->orders);

		now = now_ms();
		dispatch_heartbeat(k, now);
		dispatch_expire(k, now);
		pool_start_due(&k->pool, now);
		orders_release_due(k->orders, now);
		orders_queue_due(k->orders, wall_ms(), now);
		dispatch_retire(k, now);
		dispatch_supervise(k, now);

		/* What the store's writer committed since: open its orders and
		 * cook their dishes, answer what waited for it, then hand the
		 * writer this turn's writes if it is idle. The dishes go first:
		 * the cooking is on the way to an order's end, its OK beside it. */
		full = store_full(k->store);
		r = store_poll(k->store, &committed);
		orders_committed(k->orders, committed, now);
		if (r == -ENOSPC)
			disk_full(k, full);
		else if (r >= 0 && full && !store_full(k->store))
			log_notice("The order store commits again: taking orders");
		if (r < 0 && r != -ENOSPC && !k->exit_code) {
			/* Memory is now ahead of the store. Stop, so that the next
			 * start resumes from the last commit; nothing acknowledged
			 * is lost, and cooking is at-least-once anyway. */
			log_error("Failed to commit to the order store, stopping: %s", store_error(k->store));
			k->done = true;
			k->exit_code = 1;
			orders_drop_admitted(k->orders, NULL, NULL);
		}
		if (!k->done)
			dispatch_cook(k, now);
		pending_after_commit(k, committed, r < 0 && r != -ENOSPC);
		if (store_full(k->store))
			pending_store_full(k);  /* nothing waits for a commit that may never come */
		store_hand_over(k->store);
		check(k, now);

		advance_stop(k, now);
		notify_ready(k, now);
		notify_status(k, now);
		notify_watchdog(k, now);
		note_pruned(k, now);
		/* A socket read up to its budget may hold more: the next poll does not wait. */
	}

	if (k->exit_code)
		return k->exit_code;
	orders_counts(k->orders, &n);
	log_info("Stopped: %llu served, %llu failed, %llu queued dishes kept for the next start",
		 (unsigned long long) n.served, (unsigned long long) n.failed, (unsigned long long) n.queued);
	return 0;
}
