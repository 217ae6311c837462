/*
 * loop — kitchend's event loop: one zmq_poll over the sockets, a signalfd and
 * the store's eventfd, one turn at a time (see kitchen.h), and what it tells
 * systemd.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

#include "kitchen.h"
#include "log.h"
#include "util.h"
#include "zap.h"

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
	events_chef(k, slot->name, "exited", how);
}

static void begin_stop(struct kitchen *k, const char *why)
{
	if (k->stop_deadline_ms)
		return;
	log_notice("Stopping (%s): no new orders; %llu cooking dishes may finish, %llu queued ones stay in the store",
		   why, (unsigned long long) k->n_cooking, (unsigned long long) k->n_queued);
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
	if (!k->stopping)
		return;
	if (!k->stop_deadline_ms)
		begin_stop(k, "drain requested");
	if (!k->pool.stopping) {
		if (k->n_cooking > 0 && now < k->stop_deadline_ms)
			return;
		if (k->n_cooking > 0)
			log_warning("%llu dishes still cooking after %llu ms; they will be cooked again on the next start",
				    (unsigned long long) k->n_cooking,
				    (unsigned long long) k->config->drain_timeout_ms);
		pool_stop(&k->pool, SIGTERM);
		k->stop_deadline_ms = now + STOP_GRACE_MS;
	}
	if (pool_running(&k->pool) == 0) {
		if (store_written(k->store) <= store_committed(k->store) && control_idle(k))
			k->done = true;
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

	if (now - last_ms < 1000)
		return;
	last_ms = now;
	sd_notifyf(0, "STATUS=%zu chefs; %llu queued, %llu cooking, %llu served, %llu failed",
		   k->chefs.len, (unsigned long long) k->n_queued, (unsigned long long) k->n_cooking,
		   (unsigned long long) k->n_served, (unsigned long long) k->n_failed);
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
	if (!k->stopping && dish_queue_len(&k->queue) > 0 && dispatch_has_credit(k))
		return 0;
	t = pool_next_start(&k->pool);
	if (t < next)
		next = t;
	t = control_next_deadline(k);
	if (t < next)
		next = t;
	if ((k->n_held_orders > 0 || !k->ready_sent) && now + 100 < next)
		next = now + 100;
	if ((k->stopping || k->config->dishes_timeout_ms) && now + 100 < next)
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

int kitchen_run(struct kitchen *k)
{
	bool busy = false;
	uint64_t usec;

	k->next_heartbeat_ms = now_ms();
	if (sd_watchdog_enabled(0, &usec) > 0)
		k->watchdog_ms = usec / 2000 ? usec / 2000 : 1;

	while (!k->done) {
		zmq_pollitem_t items[6 + ZAP_POLL_MAX] = {
			{ .socket = k->sink, .events = ZMQ_POLLIN },
			{ .socket = k->dispatch, .events = ZMQ_POLLIN },
			{ .socket = k->control, .events = ZMQ_POLLIN },
			{ .socket = k->events, .events = ZMQ_POLLIN },
			{ .fd = k->signal_fd, .events = ZMQ_POLLIN },
			{ .fd = store_fd(k->store), .events = ZMQ_POLLIN },
		};
		size_t n_items = 6 + zap_poll_items(k->zap, items + 6);
		uint64_t now = now_ms(), committed;
		bool full;
		int r;

		r = zmq_poll(items, (int) n_items, poll_timeout(k, now, busy));
		if (r < 0 && errno != EINTR)
			return log_error_errno(-errno, "Failed to poll: %m"), 1;

		read_signals(k);
		busy = zap_read(k->zap);  /* first: a handshake waits for it */
		busy |= sink_read(k);
		busy |= dispatch_read(k);
		busy |= control_read(k);
		busy |= events_read(k);

		now = now_ms();
		dispatch_heartbeat(k, now);
		dispatch_expire(k, now);
		pool_start_due(&k->pool, now);
		events_release_held(k, now);
		dispatch_retire(k, now);
		dispatch_cook(k);

		/* What the store's writer committed since: answer what waited
		 * for it, then hand it this turn's writes if it is idle. */
		full = store_full(k->store);
		r = store_poll(k->store, &committed);
		if (r == -ENOSPC && !full)
			log_warning("Failed to commit to the order store, trying again: %s", store_error(k->store));
		else if (r >= 0 && full && !store_full(k->store))
			log_notice("The order store commits again");
		if (r == -ENOSPC)
			r = 0;  /* what waits for the commit waits on */
		if (r < 0 && !k->exit_code) {
			/* Memory is now ahead of the store. Stop, so that the next
			 * start resumes from the last commit; nothing acknowledged
			 * is lost, and cooking is at-least-once anyway. */
			log_error("Failed to commit to the order store, stopping: %s", store_error(k->store));
			k->done = true;
			k->exit_code = 1;
		}
		control_after_commit(k, committed, r < 0);
		store_hand_over(k->store);

		advance_stop(k, now);
		notify_ready(k, now);
		notify_status(k, now);
		notify_watchdog(k, now);
		/* A socket read up to its budget may hold more: the next poll does not wait. */
	}

	if (k->exit_code)
		return k->exit_code;
	log_info("Stopped: %llu served, %llu failed, %llu queued dishes kept for the next start",
		 (unsigned long long) k->n_served, (unsigned long long) k->n_failed,
		 (unsigned long long) k->n_queued);
	return 0;
}
