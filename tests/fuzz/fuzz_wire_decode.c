/*
 * fuzz_wire_decode.c - libFuzzer target over the msgpack decoder of every message type (see
 * wire_fuzz.h for what it checks).
 */
#include "tests/fuzz/wire_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_wire_input(data, size, WIRE_MSGPACK);
}
