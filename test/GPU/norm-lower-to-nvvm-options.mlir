// Target options of norm-lower-to-nvvm that upstream would turn into an LLVM
// fatal error (PTX version too low for the chip) or silently ignore (unknown
// binary format) are rejected up front with a diagnostic. These checks run
// before the CUDA toolkit is looked for, so no toolkit is needed.
// RUN: not norm-opt %s --norm-lower-to-nvvm="format=isa features=+ptx60" 2>&1 \
// RUN:   | FileCheck %s --check-prefix=PTX
// RUN: not norm-opt %s --norm-lower-to-nvvm="format=isa chip=sm_80 features=+ptx63" 2>&1 \
// RUN:   | FileCheck %s --check-prefix=PTX80
// RUN: not norm-opt %s --norm-lower-to-nvvm="format=isa chip=gfx90a" 2>&1 \
// RUN:   | FileCheck %s --check-prefix=CHIP
// RUN: not norm-opt %s --norm-lower-to-nvvm="format=ptx" 2>&1 \
// RUN:   | FileCheck %s --check-prefix=FORMAT
// RUN: not norm-opt %s --norm-lower-to-nvvm="format=isa index-bitwidth=7" 2>&1 \
// RUN:   | FileCheck %s --check-prefix=INDEX
// RUN: not norm-opt %s --norm-lower-to-nvvm="format=isa chip=" 2>&1 \
// RUN:   | FileCheck %s --check-prefix=EMPTY
// RUN: not norm-opt %s --norm-lower-to-nvvm="format=isa features=+ptx999" 2>&1 \
// RUN:   | FileCheck %s --check-prefix=FEATURE
// RUN: not norm-opt %s --norm-lower-to-nvvm="format=isa features=+ptx80,fast" 2>&1 \
// RUN:   | FileCheck %s --check-prefix=FEATURE2

// PTX: error: chip 'sm_90a' needs PTX ISA 8.0 or later, but features '+ptx60' select 6.0 (use +ptx80 or later)
// PTX-NOT: LLVM ERROR
// PTX80: error: chip 'sm_80' needs PTX ISA 7.0 or later, but features '+ptx63' select 6.3 (use +ptx70 or later)
// CHIP: error: unknown GPU chip 'gfx90a'; expected an NVPTX processor such as sm_80 or sm_90a
// FORMAT: error: unknown kernel binary format 'ptx'; expected isa, bin, fatbin or offloading
// INDEX: error: index-bitwidth must be 32 or 64, not 7
// EMPTY: error: no GPU chip given; expected an NVPTX processor such as sm_80 or sm_90a
// EMPTY-NOT: Stack dump
// LLVM only warns about a feature it does not know, and ignores it.
// FEATURE: error: unknown PTX feature '+ptx999'; expected +ptxNN with a PTX ISA version that LLVM 22 knows (3.2 to 9.0), e.g. +ptx80
// FEATURE2: error: unknown PTX feature 'fast'

func.func @rms(%x: memref<?x64xf32>, %y: memref<?x64xf32>) {
  %xt = bufferization.to_tensor %x restrict : memref<?x64xf32> to tensor<?x64xf32>
  %r = norm.rms_norm %xt axes = [1] : tensor<?x64xf32>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<?x64xf32>, memref<?x64xf32>) -> ()
  return
}
