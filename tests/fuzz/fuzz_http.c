/*
 * fuzz_http.c - libFuzzer target over the runtime's HTTP framing and message dispatch: the
 * input is fed, in two reads split where its first byte says, to an incoming connection of a
 * real (unstarted) runtime whose loop is then run until idle. Messages reach a test actor,
 * requests reach its routes or the built-in ones, and nothing may crash, leak, or allocate
 * much beyond the input.
 */
#include "tests/fuzz/http_fuzz.h"

#include <string.h>

int act__transport_fuzz_feed(const uint8_t *data, size_t n, size_t split);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        http_fuzz_setup();
        ready = 1;
    }
    if (size == 0) return 0;
    act__transport_fuzz_feed(data + 1, size - 1, data[0] * (size - 1) / 255);
    act__fuzz_run_until_idle();
    return 0;
}
