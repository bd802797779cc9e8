#include "CPUFeatures.h"

#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static unsigned long long read_xcr0(void) {
    unsigned int eax, edx;
    __asm__ __volatile__("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}

void landscape_cpu_features_read(landscape_cpu_features *f) {
    memset(f, 0, sizeof *f);
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(0, &eax, &ebx, &ecx, &edx)) return;
    unsigned int max_leaf = eax;
    memcpy(f->vendor, &ebx, 4);
    memcpy(f->vendor + 4, &edx, 4);
    memcpy(f->vendor + 8, &ecx, 4);
    f->vendor[12] = 0;
    __get_cpuid(1, &eax, &ebx, &ecx, &edx);
    int base_family = (eax >> 8) & 0xf, base_model = (eax >> 4) & 0xf;
    f->family = base_family == 0xf ? base_family + ((eax >> 20) & 0xff) : base_family;
    f->model = (base_family == 0x6 || base_family == 0xf) ? (((eax >> 16) & 0xf) << 4) | base_model : base_model;
    f->fma = (ecx >> 12) & 1;
    f->osxsave = (ecx >> 27) & 1;
    f->avx = (ecx >> 28) & 1;
    if (f->osxsave) f->xcr0 = read_xcr0();
    if (max_leaf >= 7) {
        __cpuid_count(7, 0, eax, ebx, ecx, edx);
        unsigned int subleaves = eax;
        f->avx2 = (ebx >> 5) & 1;
        f->avx512f = (ebx >> 16) & 1;
        f->avx512dq = (ebx >> 17) & 1;
        f->avx512cd = (ebx >> 28) & 1;
        f->avx512bw = (ebx >> 30) & 1;
        f->avx512vl = (ebx >> 31) & 1;
        f->amx_tile = (edx >> 24) & 1;
        if (subleaves >= 1) {
            __cpuid_count(7, 1, eax, ebx, ecx, edx);
            f->avx512_bf16 = (eax >> 5) & 1;
        }
    }
}

void landscape_cpu_brand(char buffer[49]) {
    memset(buffer, 0, 49);
    unsigned int regs[12];
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(0x80000000, &eax, &ebx, &ecx, &edx) || eax < 0x80000004) return;
    for (unsigned int i = 0; i < 3; i++) __get_cpuid(0x80000002 + i, &regs[4 * i], &regs[4 * i + 1], &regs[4 * i + 2], &regs[4 * i + 3]);
    memcpy(buffer, regs, 48);
}
#else
void landscape_cpu_features_read(landscape_cpu_features *f) { memset(f, 0, sizeof *f); }
void landscape_cpu_brand(char buffer[49]) { memset(buffer, 0, 49); }
#endif
