/* Benchmark (not a test): the loop of tests/bench/compute_boot.asm in plain C, for the host
 * (cc -O2). Each of ITERATIONS rounds hashes a 16-dword buffer (multiply, add, xor, rotate, store
 * back), copies it to a second buffer and takes a data-dependent branch. Prints the guest's
 * result line ("compute: ebx=... edx=..."), then the loop's time and its length in guest
 * instructions (55 before the first round, 170 per even round, 171 per odd one), so that
 * jit_bench.sh can give the host's speed in guest-instruction-equivalent MIPS.
 *   cc -O2 -o compute_native tests/bench/compute_native.c && ./compute_native [ITERATIONS]
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint32_t buf[16];  /* BUF, hashed in place */
static uint32_t copy[16]; /* COPY, the REP MOVSD destination */

static uint32_t rol32(uint32_t v, unsigned n) { return (v << n) | (v >> (32 - n)); }

int main(int argc, char **argv) {
    uint32_t iterations = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 0) : 6450000u;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);

    uint32_t eax = 0x12345678;
    for (int i = 0; i < 16; i++) {
        buf[i] = eax;
        eax += 0x9e3779b9u;
    }
    uint32_t ebx = 0, edx = 0, ebp = iterations;
    uint64_t odd = 0;
    do {
        for (int i = 0; i < 16; i++) {
            uint32_t v = buf[i] * 0x01000193u + ebx;
            ebx = rol32(ebx ^ v, 5);
            buf[i] = v;
        }
        memcpy(copy, buf, sizeof copy);
        __asm__ volatile("" : : "r"(copy) : "memory"); /* the copy happens every round */
        if (ebx & 1) {
            edx += 3;
            odd++;
        } else {
            edx -= 1;
        }
    } while (--ebp != 0); /* dec ebp / jnz: 0 means 2^32 rounds, as in the guest */

    clock_gettime(CLOCK_MONOTONIC, &t1);
    double seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    uint64_t rounds = iterations ? iterations : (UINT64_C(1) << 32);
    uint64_t instructions = 55 + 170 * rounds + odd;
    printf("compute: ebx=%08" PRIx32 " edx=%08" PRIx32 "\n", ebx, edx);
    printf("native: %.6f s, %" PRIu64 " guest-equivalent instructions\n", seconds, instructions);
    return 0;
}
