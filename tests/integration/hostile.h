/*
 * hostile — the parts of the hostile peer of the tests (hostile.c has its
 * manual): besides the client that floods kitchend, a kitchend that lies.
 */
#pragma once

/*
 * hostile --kitchend MODE --control EP [--events EP] [--seconds S]: bind a
 * ROUTER on @control (an XPUB on @events) and answer kitchenctl as MODE says
 * (hostile_kitchend.c lists them) for @seconds. 0, 1 when a socket could not
 * be made, 2 for an unknown mode.
 */
int hostile_kitchend(void *zctx, const char *mode, const char *control, const char *events, double seconds);
