/*
 * pipeline — the tutorial's dish pipeline: its texts and its CPU work.
 *
 * Pure functions, no I/O and no clock: the station does the waiting and
 * sending, this module only says what each stage is called and computes the
 * deterministic "CPU work" of an ingredient. One dish goes:
 *
 *	Get ingredients for Pizza...                  PIPELINE_GET (dish name)
 *	Cooking ingredient Flour...                   PIPELINE_COOKING, then the CPU work
 *	Cooked Flour                                  PIPELINE_COOKED
 *	Seasoning Cooked Flour...                     PIPELINE_SEASONING
 *	Served Cooked Flour with a pinch of magic     PIPELINE_SERVED
 *	Served Pizza                                  pipeline_result()
 *
 * cooking every ingredient first, then seasoning every cooked one. The served
 * item of an ingredient (pipeline_item()) is its PIPELINE_SERVED text, with
 * " #xxxxxxxx" appended when the dish asked for CPU work: the top 32 bits of
 * the digest, in hex.
 *
 * The digest: seed = FNV-1a 64 of the ingredient name, then the splitmix64
 * step (add the golden gamma, mix) applied cpu_work times, each round
 * feeding on the last, so it cannot be skipped. Same name and rounds, same
 * digest, on every machine. pipeline_digest_run() composes
 * (run(run(s, a), b) == run(s, a + b)), so a caller may cut the work into
 * slices and look for a stop request in between.
 *
 *	uint64_t d = pipeline_digest(name, cpu_work);
 *	char item[PIPELINE_TEXT_MAX];
 *	r = pipeline_item(name, cpu_work, d, item, sizeof(item));
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Room for any text of a name of up to 128 bytes (names are at most 64). */
#define PIPELINE_TEXT_MAX 256

enum pipeline_stage {
	PIPELINE_GET,        /* of the dish */
	PIPELINE_COOKING,    /* of an ingredient, and so on below */
	PIPELINE_COOKED,
	PIPELINE_SEASONING,
	PIPELINE_SERVED,
	_PIPELINE_STAGE_MAX,
};

/*
 * Write the text of @stage for @name (the dish for PIPELINE_GET, else the
 * ingredient) into @buf. 0, -ENOBUFS when it does not fit (@buf then holds
 * ""), -EINVAL for a stage out of range.
 */
int pipeline_text(enum pipeline_stage stage, const char *name, char *buf, size_t size);

/* "Served <dish>" into @buf; 0 or -ENOBUFS. */
int pipeline_result(const char *dish, char *buf, size_t size);

/* The served item of @ingredient, " #xxxxxxxx" of @digest appended when
 * @cpu_work > 0; 0 or -ENOBUFS. */
int pipeline_item(const char *ingredient, uint64_t cpu_work, uint64_t digest, char *buf, size_t size);

/* The CPU work: seed, then @rounds splitmix64 steps from @state. */
uint64_t pipeline_digest_seed(const char *ingredient);
uint64_t pipeline_digest_run(uint64_t state, uint64_t rounds);
/* pipeline_digest_run(pipeline_digest_seed(@ingredient), @rounds) */
uint64_t pipeline_digest(const char *ingredient, uint64_t rounds);
