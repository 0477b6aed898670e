/*
 * fuzz_pb_decode.c - libFuzzer target over the protobuf decoder of every message type (see
 * wire_fuzz.h for what it checks). Its seeds include the bytes mesos-go writes.
 */
#include "tests/fuzz/wire_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_wire_input(data, size, WIRE_PROTOBUF);
}
