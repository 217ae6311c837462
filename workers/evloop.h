/*
 * evloop — the event-loop chef's one cooking thread: up to N dishes going
 * at once on one thread, the tutorial's asyncio model done right.
 *
 * To the brigade (brigade.h) the loop is N stations, "slots", behind one
 * DEALER (routing id "0") on the same inproc ROUTER, speaking station.h's
 * protocol with the slot named in a frame of its own:
 *
 *	loop -> brigade  "FREE" slot             slot (decimal) is ready: at start, then after each batch answered
 *	loop -> brigade  "FAIL" errno            could not open its sink socket; the thread ends
 *	brigade -> loop  "DISH" <ticket *>... slot   slot as a host-order unsigned; to a busy slot, its next
 *	brigade -> loop  "CANCEL" id attempt     whichever slot holds that dish
 *	brigade -> loop  "STOP"                  end now, even mid-dish
 *
 * Each slot holds a batch (answers.h) and cooks it as a station does, with
 * the same answers: one RESULT per batch on the loop's own PUSH to the sink,
 * PROGRESS for followed dishes, "failed" STATION_CANCELLED for a CANCEL. The
 * difference is how a slot waits:
 *
 *	waits     (prep_ms, cook_ms, season_ms) are timers in a heap
 *	          (timer_heap.h); the loop sleeps in one ppoll() until the
 *	          earliest, to the nanosecond, on the same drift-free schedule
 *	          as a station (a deadline runs on from the previous one), and
 *	          for an unfollowed dish only before CPU work and the result.
 *	CPU work  (cpu_work) runs inline, whole, on the loop's thread: while
 *	          it runs, every other slot waits, CANCEL and STOP included.
 *	          That is the tutorial's lesson: an event loop overlaps
 *	          waiting, not computing; CPU-bound dishes want stations (or
 *	          more chefs). The loop does yield between two CPU stages, and
 *	          after about a millisecond of timers in one turn.
 *	programs  start as a station's (recipe.h, spawn.h: clone and exec, own
 *	          process group) and are watched in the same ppoll(): the
 *	          pidfd and the non-blocking stdin, stdout and stderr pipes
 *	          (recipe_pollfds()), with the run's time-out among the timers;
 *	          a CANCEL is recipe_cancel() (the group gets SIGTERM, SIGKILL
 *	          after the grace), a STOP frees the run (SIGKILL at once).
 *	the sink  a RESULT the sink cannot take now waits in its slot while the
 *	          loop polls the PUSH for room; the others go on. A batch that
 *	          is all cancelled gets one try, as a station's.
 *
 * The loop's ppoll() covers the DEALER's ZMQ_FD (edge-triggered: drained
 * until ZMQ_EVENTS says nothing is left, before each sleep), the PUSH's
 * ZMQ_FD while a RESULT waits, and every running program's fds.
 *
 * Threads of an event-loop chef: main (kitchend's session, signals, the
 * brigade), this loop, and libzmq's two (its I/O thread and its reaper):
 * four, whatever N is. A waiting dish costs its slot's memory (under 3 KiB,
 * touched only when used) and a timer, never a thread.
 */
#pragma once

#include <pthread.h>

#include "station.h"

/* Start the loop with @slots slots; @args as for station_start() (its index
 * is the routing id, 0). 0 or -errno. */
int evloop_start(const struct station_args *args, unsigned slots, pthread_t *ret_thread);
