// The toolkit check alone changes nothing; a missing toolkit or tool is a
// module diagnostic. The target checks run only with check-target (as
// norm-lower-to-nvvm runs the pass) and need no toolkit.
// RUN: not norm-opt %s --norm-check-cuda-toolkit="cuda-path=%t.missing" 2>&1 \
// RUN:   | FileCheck %s --check-prefix=MISSING
// RUN: mkdir -p %t.nvvm-only/nvvm/libdevice && touch %t.nvvm-only/nvvm/libdevice/libdevice.10.bc
// RUN: not env PATH=%t.nvvm-only norm-opt %s --norm-check-cuda-toolkit="cuda-path=%t.nvvm-only format=bin" 2>&1 \
// RUN:   | FileCheck %s --check-prefix=NOPTXAS
// RUN: env PATH=%t.nvvm-only norm-opt %s --norm-check-cuda-toolkit="cuda-path=%t.nvvm-only format=isa" \
// RUN:   | FileCheck %s --check-prefix=ISA
// RUN: not norm-opt %s --norm-check-cuda-toolkit="check-target=1 chip= format=isa" 2>&1 \
// RUN:   | FileCheck %s --check-prefix=EMPTY
// RUN: not norm-opt %s --norm-check-cuda-toolkit="check-target=1 chip=sm_75 features=+ptx60" 2>&1 \
// RUN:   | FileCheck %s --check-prefix=PTX
// RUN: not norm-opt %s --norm-check-cuda-toolkit="check-target=1 format=cubin" 2>&1 \
// RUN:   | FileCheck %s --check-prefix=FORMAT
// Of several +ptxNN, LLVM takes the highest: +ptx80,+ptx60 is PTX 8.0, enough
// for sm_90a.
// RUN: norm-opt %s --norm-check-cuda-toolkit="cuda-path=%t.nvvm-only check-target=1 chip=sm_90a features=+ptx80,+ptx60 format=isa" \
// RUN:   | FileCheck %s --check-prefix=ISA
// Without check-target the same options are not looked at.
// RUN: norm-opt %s --norm-check-cuda-toolkit="cuda-path=%t.nvvm-only chip= format=isa index-bitwidth=7" \
// RUN:   | FileCheck %s --check-prefix=ISA

// MISSING: error: CUDA toolkit not found: '{{.*}}.missing/nvvm/libdevice/libdevice.10.bc' does not exist; give the toolkit directory (e.g. /usr/local/cuda) with the cuda-path option or in $CUDA_ROOT, $CUDA_HOME or $CUDA_PATH (read in that order)
// NOPTXAS: error: 'ptxas' not found in '{{.*}}.nvvm-only/bin' nor on PATH; it is needed for format=bin (use format=isa for PTX only)
// EMPTY: error: no GPU chip given; expected an NVPTX processor such as sm_80 or sm_90a
// PTX: error: chip 'sm_75' needs PTX ISA 6.3 or later, but features '+ptx60' select 6.0 (use +ptx63 or later)
// FORMAT: error: unknown kernel binary format 'cubin'; expected isa, bin, fatbin or offloading

// ISA-LABEL: func.func @unchanged(
// ISA-NEXT: return %arg0
func.func @unchanged(%x: f32) -> f32 {
  return %x : f32
}
