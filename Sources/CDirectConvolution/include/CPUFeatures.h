#ifndef LANDSCAPE_CPU_FEATURES_H
#define LANDSCAPE_CPU_FEATURES_H

// What this x86-64 CPU offers and what the OS saves on context switches (XCR0), read with
// CPUID and XGETBV: the facts the engine's choices rest on (which kernels, and whether
// OpenBLAS picked a core below the CPU). All fields are 0 on other architectures.
typedef struct {
    char vendor[13];          // "GenuineIntel", "AuthenticAMD", "HygonGenuine", ... ("" elsewhere)
    int family;               // display family (base + extended)
    int model;                // display model (extended << 4 | base where the vendor uses it)
    int avx;                  // CPUID.1:ECX.AVX
    int fma;                  // CPUID.1:ECX.FMA
    int osxsave;              // CPUID.1:ECX.OSXSAVE (XGETBV usable)
    int avx2;                 // CPUID.7.0:EBX.AVX2
    int avx512f, avx512dq, avx512cd, avx512bw, avx512vl;  // CPUID.7.0:EBX
    int avx512_bf16;          // CPUID.7.1:EAX.AVX512_BF16
    int amx_tile;             // CPUID.7.0:EDX.AMX_TILE
    unsigned long long xcr0;  // XCR0 (0 when OSXSAVE is clear): bit 1 SSE, 2 AVX, 5-7 AVX-512 state
} landscape_cpu_features;

/// Fills *features from CPUID/XGETBV (zeros on non-x86 CPUs).
void landscape_cpu_features_read(landscape_cpu_features *features);

/// The CPU's brand string (CPUID 0x80000002-4), NUL-terminated in buffer[49]; "" elsewhere.
void landscape_cpu_brand(char buffer[49]);

#endif
