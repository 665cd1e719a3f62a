/*
 * test_model.c — the randomized model-based test of the loop
 * (tests/lib/loop_model.h): seeded random sequences of API calls checked
 * against a reference model of what must happen. make check runs a bounded
 * number of seeds (under every sanitizer build too); tests/fuzz/fuzz_loop.c
 * runs the same model from libFuzzer's inputs for longer.
 * LOOP_MODEL_SEEDS=N runs N seeds (default 150).
 */
#include <criterion/criterion.h>

#include "tests/lib/loop_model.h"

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

Test(model, random_api_sequences_keep_the_loops_promises, .timeout = 240)
{
    const char *e = getenv("LOOP_MODEL_SEEDS");
    long seeds = e != NULL ? strtol(e, NULL, 10) : 150;
    uint8_t buf[600];

    for (long seed = 1; seed <= seeds; seed++) {
        uint64_t s = (uint64_t)seed;
        size_t len = 64 + splitmix(&s) % (sizeof(buf) - 64);
        for (size_t i = 0; i < len; i++) {
            buf[i] = (uint8_t)splitmix(&s);
        }
        loop_model_run(buf, len);
    }
}
