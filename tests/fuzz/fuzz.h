/*
 * fuzz — what the libFuzzer harnesses share.
 *
 * ASSERT is for what the code under test promises whatever the input (a
 * decoder that said yes left fields it can read, a loader that failed left
 * nothing behind): a broken promise aborts, and libFuzzer keeps the input.
 */
#pragma once

#include <stdio.h>
#include <stdlib.h>

#define ASSERT(cond)                                                                   \
	do {                                                                           \
		if (!(cond)) {                                                         \
			fprintf(stderr, "%s:%d: broken: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                       \
		}                                                                      \
	} while (0)
