/*
 * bench-ref-pipeline — the least a durable order can cost on this machine:
 * kitchen's latency path built from the same parts with nothing else.
 *
 * Three processes on ipc sockets, as kitchen's: a client, a server and a
 * worker. The client sends ORDER (a DEALER, open loop at --rate a second,
 * several under way); the server (one thread: a ROUTER for clients, a
 * ROUTER for the worker) inserts the order into SQLite (WAL,
 * synchronous=FULL: one fdatasync a commit, as kitchen's store; what came
 * in one turn is one commit), answers OK and hands the order to the
 * worker; the client sends WAIT on
 * the OK; the worker answers at once; the server inserts the result,
 * commits, and answers the WAIT. Latency is ORDER sent -> WAIT's answer,
 * as kitchen's latency scenario takes it. The server commits in its one
 * thread, which kitchend must not (its loop never waits for the disk): so
 * this is below what kitchend can do, not a design to copy.
 *
 *	bench-ref-pipeline --dir DIR --count N [--rate 1000] [--warmup 100]
 *
 * prints {"count": N, "p50_us": ..., "p99_us": ..., "ack_p50_us": ...} and
 * exits 0; 1 on a failure, said on stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "samples.h"

#define MAX_ORDERS (1u << 20)
#define ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

/* A message: a kind and an order number. */
struct msg {
	char kind;      /* 'O' ORDER, 'K' OK, 'W' WAIT, 'S' served, 'J' job, 'R' result, 'Q' quit */
	uint64_t id;
} __attribute__((packed));

static void die(const char *what, const char *why)
{
	fprintf(stderr, "bench-ref-pipeline: %s: %s\n", what, why);
	exit(1);
}

static void *socket_at(void *ctx, int type, const char *ep, bool bind)
{
	void *s = zmq_socket(ctx, type);
	int linger = 0;

	if (!s)
		die("socket", zmq_strerror(errno));
	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
	if ((bind ? zmq_bind(s, ep) : zmq_connect(s, ep)) < 0)
		die(ep, zmq_strerror(errno));
	return s;
}

/* Send @m to routing id @rid (NULL: none, a DEALER's send). */
static void send_msg(void *s, const void *rid, size_t rid_len, char kind, uint64_t id)
{
	struct msg m = { kind, id };

	if ((rid && zmq_send(s, rid, rid_len, ZMQ_SNDMORE) < 0) || zmq_send(s, &m, sizeof(m), 0) < 0)
		die("send", zmq_strerror(errno));
}

/* Receive one message (after its routing id into @rid when @rid): 0, or -1 when none waits. */
static int recv_msg(void *s, char *rid, size_t *rid_len, struct msg *m, int flags)
{
	int n;

	if (rid) {
		n = zmq_recv(s, rid, 255, flags);
		if (n < 0)
			return -1;
		*rid_len = (size_t) n;
		flags = 0;
	}
	n = zmq_recv(s, m, sizeof(*m), flags);
	if (n < 0)
		return -1;
	if (n != (int) sizeof(*m))
		die("recv", "a message of the wrong size");
	return 0;
}

static void worker(const char *ep)
{
	void *ctx = zmq_ctx_new();
	void *s = socket_at(ctx, ZMQ_DEALER, ep, false);
	struct msg m;

	send_msg(s, NULL, 0, 'R', 0);  /* hello */
	while (recv_msg(s, NULL, NULL, &m, 0) == 0 && m.kind == 'J')
		send_msg(s, NULL, 0, 'R', m.id);
	zmq_close(s);
	zmq_ctx_term(ctx);
	exit(0);
}

static void exec_sql(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		die(sql, err ? err : "?");
}

static void insert(sqlite3 *db, sqlite3_stmt *st, uint64_t id)
{
	sqlite3_bind_int64(st, 1, (sqlite3_int64) id);
	if (sqlite3_step(st) != SQLITE_DONE)
		die("insert", sqlite3_errmsg(db));
	sqlite3_reset(st);
}

#define BATCH_MAX 1024

/* What one commit writes, and whom it answers then. */
struct batch {
	struct { char rid[256]; size_t rid_len; uint64_t id; } acks[BATCH_MAX];  /* orders */
	uint64_t results[BATCH_MAX];
	size_t n_acks, n_results;
};

struct store {
	sqlite3 *db;
	sqlite3_stmt *add_order, *add_result;
};

/* One transaction, one fdatasync. */
static void commit(struct store *st, const struct batch *b)
{
	exec_sql(st->db, "BEGIN");
	for (size_t i = 0; i < b->n_acks; i++)
		insert(st->db, st->add_order, b->acks[i].id);
	for (size_t i = 0; i < b->n_results; i++)
		insert(st->db, st->add_result, b->results[i]);
	exec_sql(st->db, "COMMIT");
}

/* --writer-thread: commits on a thread of its own, as kitchend's store
 * does, and says each on an eventfd. */
struct writer {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct store *st;
	struct batch *todo;  /* handed over, not yet committed; NULL: idle */
	bool quit;
	int done_fd;
};

static void *writer_main(void *u)
{
	struct writer *w = u;
	uint64_t one = 1;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!w->todo && !w->quit)
			pthread_cond_wait(&w->wake, &w->lock);
		if (!w->todo)
			break;
		pthread_mutex_unlock(&w->lock);
		commit(w->st, w->todo);
		pthread_mutex_lock(&w->lock);
		w->todo = NULL;  /* before it is said: the next may come at once */
		if (write(w->done_fd, &one, sizeof(one)) != sizeof(one))
			die("eventfd", strerror(errno));
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* The state of the server's one loop. */
struct server {
	void *clients, *workers;
	char wrid[256];
	size_t wrid_len;
	char waiting[MAX_ORDERS][256];  /* per order: the routing id of its WAIT */
	size_t waiting_len[MAX_ORDERS];
	bool served[MAX_ORDERS];
};

/* Read what came into @b; true on the client's quit. */
static bool take_in(struct server *sv, struct batch *b)
{
	char rid[256];
	size_t rid_len;
	struct msg m;

	while (b->n_acks < BATCH_MAX && recv_msg(sv->clients, rid, &rid_len, &m, ZMQ_DONTWAIT) == 0) {
		if (m.kind == 'Q')
			return true;
		if (m.id >= MAX_ORDERS)
			die("client", "an order number out of range");
		if (m.kind == 'O') {
			memcpy(b->acks[b->n_acks].rid, rid, rid_len);
			b->acks[b->n_acks].rid_len = rid_len;
			b->acks[b->n_acks++].id = m.id;
		} else if (sv->served[m.id]) {
			send_msg(sv->clients, rid, rid_len, 'S', m.id);
		} else {
			memcpy(sv->waiting[m.id], rid, rid_len);
			sv->waiting_len[m.id] = rid_len;
		}
	}
	while (b->n_results < BATCH_MAX && recv_msg(sv->workers, rid, &rid_len, &m, ZMQ_DONTWAIT) == 0) {
		if (m.id >= MAX_ORDERS)
			die("worker", "an order number out of range");
		b->results[b->n_results++] = m.id;
	}
	return false;
}

/* @b is committed: answer its orders (and hand them to the worker) and its results. */
static void answer(struct server *sv, struct batch *b)
{
	for (size_t i = 0; i < b->n_acks; i++) {
		send_msg(sv->clients, b->acks[i].rid, b->acks[i].rid_len, 'K', b->acks[i].id);
		send_msg(sv->workers, sv->wrid, sv->wrid_len, 'J', b->acks[i].id);
	}
	for (size_t i = 0; i < b->n_results; i++) {
		uint64_t id = b->results[i];

		sv->served[id] = true;
		if (sv->waiting_len[id])
			send_msg(sv->clients, sv->waiting[id], sv->waiting_len[id], 'S', id);
	}
	b->n_acks = b->n_results = 0;
}

static void server(const char *dir, const char *client_ep, const char *worker_ep, bool thread)
{
	static struct server sv;
	static struct batch batches[2];
	struct batch *cur = &batches[0], *flight = &batches[1];
	struct writer w = { .lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER };
	void *ctx = zmq_ctx_new();
	struct store st;
	char path[300];
	pthread_t tid;
	bool quit = false, busy = false;
	struct msg m;

	sv.clients = socket_at(ctx, ZMQ_ROUTER, client_ep, true);
	sv.workers = socket_at(ctx, ZMQ_ROUTER, worker_ep, true);
	snprintf(path, sizeof(path), "%s/ref-pipeline.db", dir);
	if (sqlite3_open(path, &st.db) != SQLITE_OK)
		die(path, sqlite3_errmsg(st.db));
	exec_sql(st.db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
		 "CREATE TABLE orders (id INTEGER PRIMARY KEY, created INTEGER);"
		 "CREATE TABLE results (id INTEGER PRIMARY KEY, result TEXT);");
	if (sqlite3_prepare_v2(st.db, "INSERT INTO orders VALUES (?, 0)", -1, &st.add_order, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(st.db, "INSERT INTO results VALUES (?, 'Served')", -1, &st.add_result, NULL) != SQLITE_OK)
		die("prepare", sqlite3_errmsg(st.db));
	w.st = &st;
	w.done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w.done_fd < 0 || (thread && pthread_create(&tid, NULL, writer_main, &w) != 0))
		die("writer", strerror(errno));
	if (recv_msg(sv.workers, sv.wrid, &sv.wrid_len, &m, 0) < 0)  /* the worker's hello */
		die("worker", zmq_strerror(errno));

	while (!quit || busy) {
		zmq_pollitem_t items[] = {
			{ .socket = sv.clients, .events = ZMQ_POLLIN },
			{ .socket = sv.workers, .events = ZMQ_POLLIN },
			{ .fd = w.done_fd, .events = ZMQ_POLLIN },
		};
		uint64_t n;

		if (zmq_poll(items, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll", zmq_strerror(errno));
		}
		quit |= take_in(&sv, cur);
		if (!thread) {
			/* What came this turn is one commit, in the loop. */
			commit(&st, cur);
			answer(&sv, cur);
			continue;
		}
		if (read(w.done_fd, &n, sizeof(n)) == sizeof(n)) {
			answer(&sv, flight);
			busy = false;
		}
		if (!busy && (cur->n_acks || cur->n_results)) {
			struct batch *t = flight;

			flight = cur;
			cur = t;
			busy = true;
			pthread_mutex_lock(&w.lock);
			w.todo = flight;
			pthread_cond_signal(&w.wake);
			pthread_mutex_unlock(&w.lock);
		}
	}
	if (thread) {
		pthread_mutex_lock(&w.lock);
		w.quit = true;
		pthread_cond_signal(&w.wake);
		pthread_mutex_unlock(&w.lock);
		pthread_join(tid, NULL);
	}
	send_msg(sv.workers, sv.wrid, sv.wrid_len, 'Q', 0);
	sqlite3_finalize(st.add_order);
	sqlite3_finalize(st.add_result);
	sqlite3_close(st.db);
	close(w.done_fd);
	zmq_close(sv.clients);
	zmq_close(sv.workers);
	zmq_ctx_term(ctx);
	exit(0);
}

int main(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "count", required_argument, NULL, 'c' },
		{ "rate", required_argument, NULL, 'r' },
		{ "warmup", required_argument, NULL, 'u' },
		{ "writer-thread", no_argument, NULL, 'w' },
		{}
	};
	const char *dir = NULL;
	uint64_t count = 0, rate = 1000, warmup = 100, total, interval, t0, next = 0, done = 0;
	uint64_t *sent, *lat, *ack;
	char client_ep[300], worker_ep[300];
	pid_t server_pid, worker_pid;
	bool thread = false;
	void *ctx, *s;
	int c;

	while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
		switch (c) {
		case 'd': dir = optarg; break;
		case 'c': count = strtoull(optarg, NULL, 10); break;
		case 'r': rate = strtoull(optarg, NULL, 10); break;
		case 'u': warmup = strtoull(optarg, NULL, 10); break;
		case 'w': thread = true; break;
		default: return 2;
		}
	total = warmup + count;
	if (!dir || count == 0 || rate == 0 || total >= MAX_ORDERS) {
		fputs("usage: bench-ref-pipeline --dir DIR --count N [--rate 1000] [--warmup 100] [--writer-thread]\n", stderr);
		return 2;
	}
	snprintf(client_ep, sizeof(client_ep), "ipc://%s/ref-pipeline-c.sock", dir);
	snprintf(worker_ep, sizeof(worker_ep), "ipc://%s/ref-pipeline-w.sock", dir);
	server_pid = fork();
	if (server_pid == 0)
		server(dir, client_ep, worker_ep, thread);
	worker_pid = fork();
	if (worker_pid == 0)
		worker(worker_ep);

	sent = calloc(total, sizeof(*sent));
	lat = calloc(total, sizeof(*lat));
	ack = calloc(total, sizeof(*ack));
	if (!sent || !lat || !ack)
		die("calloc", strerror(ENOMEM));
	ctx = zmq_ctx_new();
	s = socket_at(ctx, ZMQ_DEALER, client_ep, false);

	interval = 1000000000u / rate;
	t0 = now_ns();
	while (done < total) {
		zmq_pollitem_t item = { .socket = s, .events = ZMQ_POLLIN };
		uint64_t now = now_ns();
		struct msg m;
		long timeout = 100;

		if (next < total && now >= t0 + next * interval) {
			sent[next] = now_ns();
			send_msg(s, NULL, 0, 'O', next);
			next++;
			continue;
		}
		if (next < total)
			timeout = (long) ((t0 + next * interval - now + 999999) / 1000000);
		if (zmq_poll(&item, 1, timeout) < 0 && errno != EINTR)
			die("poll", zmq_strerror(errno));
		while (recv_msg(s, NULL, NULL, &m, ZMQ_DONTWAIT) == 0) {
			if (m.id >= total)
				die("reply", "an order number out of range");
			if (m.kind == 'K') {
				ack[m.id] = now_ns() - sent[m.id];
				send_msg(s, NULL, 0, 'W', m.id);
			} else if (m.kind == 'S') {
				lat[m.id] = now_ns() - sent[m.id];
				done++;
			}
		}
	}
	send_msg(s, NULL, 0, 'Q', 0);
	waitpid(server_pid, NULL, 0);
	waitpid(worker_pid, NULL, 0);
	zmq_close(s);
	zmq_ctx_term(ctx);

	qsort(ack + warmup, count, sizeof(*ack), samples_cmp);
	printf("{");
	samples_print(lat + warmup, count);
	printf(", \"ack_p50_us\": %.1f, \"ack_p99_us\": %.1f}\n", samples_us(ack + warmup, count, 0.5),
	       samples_us(ack + warmup, count, 0.99));
	free(sent);
	free(lat);
	free(ack);
	return 0;
}
