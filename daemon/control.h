/*
 * control — kitchenctl's requests on the control socket (a ROUTER; clients
 * are REQ sockets), one handler per request in control.c's table.
 *
 * Every request gets exactly one reply (reply.h). ORDER checks the request
 * (proto_order_refusal(), the menu, orders.max_queued, a key seen before)
 * and admits the order (orders.h); its OK waits for the commit (pending.h).
 * SHOW and WAIT answer with a report (reports.h) once what it shows is
 * committed; STATUS, CHEFS and MENU at once; DRAIN and RELOAD act first.
 */
#pragma once

#include <stdbool.h>

struct kitchen;

/* Read and answer what waits. true: stopped at its budget. */
bool control_read(struct kitchen *k);
