#include "DirectConvolution.h"
#include "CPUFeatures.h"

// Which ISA the register kernels run: the best this CPU and OS allow unless convolution_select_isa
// chose another. AVX2 needs CPUID's AVX, AVX2 and FMA and XCR0's SSE and AVX state (bits 1-2);
// AVX-512 needs F, BW, DQ and VL besides, and XCR0's opmask and ZMM state (bits 5-7).

int convolution_isa_supported(int isa) {
    landscape_cpu_features f;
    landscape_cpu_features_read(&f);
    const int avx2 = f.avx && f.avx2 && f.fma && f.osxsave && (f.xcr0 & 0x6) == 0x6;
    switch (isa) {
    case CONVOLUTION_ISA_AVX2: return avx2;
    case CONVOLUTION_ISA_AVX512:
        return avx2 && f.avx512f && f.avx512bw && f.avx512dq && f.avx512vl && (f.xcr0 & 0xE6) == 0xE6;
    default: return 0;
    }
}

static int selected = -1;   // -1: not decided yet

static int best_isa(void) {
    if (convolution_isa_supported(CONVOLUTION_ISA_AVX512)) return CONVOLUTION_ISA_AVX512;
    if (convolution_isa_supported(CONVOLUTION_ISA_AVX2)) return CONVOLUTION_ISA_AVX2;
    return CONVOLUTION_ISA_NONE;
}

int convolution_isa(void) {
    int isa = __atomic_load_n(&selected, __ATOMIC_ACQUIRE);
    if (isa < 0) {
        isa = best_isa();
        int expected = -1;
        if (!__atomic_compare_exchange_n(&selected, &expected, isa, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) isa = expected;
    }
    return isa;
}

int convolution_select_isa(int isa) {
    if (isa != CONVOLUTION_ISA_NONE && !convolution_isa_supported(isa)) return -1;
    __atomic_store_n(&selected, isa, __ATOMIC_RELEASE);
    return 0;
}
