//===- Passes.td - Codegen transforms of norm-mlir ---------*- tablegen -*-===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// Transforms that the lowering pipelines need on top of upstream MLIR and that
// are not specific to the norm dialect: they act on linalg, arith/math and
// func/memref IR.
//
//===----------------------------------------------------------------------===//

#ifndef NORM_TRANSFORMS_PASSES_TD
#define NORM_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// norm-tile-and-fuse-rows
//===----------------------------------------------------------------------===//

def NormTileAndFuseRowsPass
    : Pass<"norm-tile-and-fuse-rows", "::mlir::func::FuncOp"> {
  let summary = "Tile the outermost parallel dimension of root linalg ops "
                "with scf.forall and fuse their producers";
  let description = [{
    Tiles every *root* linalg op of the function with `scf.forall` along its
    first parallel loop dimension (`tile-size` iterations per tile, all other
    dimensions untiled) and fuses the chain of producers into the loop body
    with `scf::tileConsumerAndFuseProducersUsingSCF`. A root is a linalg op on
    tensors whose results feed no other linalg op (they are returned, or
    inserted somewhere).

    Why: a normalization lowered to linalg is a few reductions (mean,
    variance) followed by an elementwise map that reads the input again.
    Lowered as is, every op streams the whole tensor through memory. Tiled by
    rows with the producers fused, each tile reads a block of rows once while
    it is in cache, computes its statistics and writes the output; the
    `scf.forall` later becomes an `scf.parallel` and OpenMP work-sharing loop.
    Upstream has the transformation (transform dialect `tile_using_forall` +
    `fuse_into_containing_op`) but no pass that picks the roots.

    Example (`tile-size=8`): a row sum feeding a broadcast subtract becomes
    one `scf.forall ... step (8)` whose body extracts the 8-row slice of the
    input, fills and computes the partial sums for those rows, subtracts, and
    `tensor.parallel_insert_slice`s the result.

    Limits:
    * only the first parallel dimension is tiled; the reduction dimensions
      stay whole, so one tile holds `tile-size` complete rows;
    * a linalg op without parallel dimensions is left alone, and so is one
      already nested in an `scf.forall` (the pass does not re-tile);
    * producers are fused with the upstream default control: a producer
      shared by several roots is recomputed in each of their loops;
    * `tile-size` <= 0 makes the pass a no-op. A root that cannot be tiled
      is an error and fails the pass.
  }];
  let options = [
    Option<"tileSize", "tile-size", "int64_t", /*default=*/"8",
           "Iterations of the outermost parallel dimension per tile "
           "(<= 0: do nothing)">
  ];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

//===----------------------------------------------------------------------===//
// norm-set-fast-math
//===----------------------------------------------------------------------===//

def NormSetFastMathPass
    : Pass<"norm-set-fast-math", "::mlir::func::FuncOp"> {
  let summary = "Add reassoc and contract fast-math flags to arith and math "
                "ops";
  let description = [{
    Adds the `reassoc` and `contract` flags to the fast-math flags of every
    operation of the function that implements `ArithFastMathInterface`
    (floating-point `arith` and `math` ops, `vector.reduction`), keeping the
    flags it already has.

    Why: the reductions of a normalization (sums of `x` and of `x * x`) lower
    to loops that accumulate one element after the other. LLVM may vectorize
    or reorder such a floating-point reduction only when it is allowed to
    reassociate it (`reassoc`), and may fuse multiply-add into FMA only with
    `contract`. Without the flags the loops stay scalar: a LayerNorm lowered
    to loops was measured at 3.4 GB/s without and 8 GB/s with fast-math.

    `arith.extf` and `arith.truncf` are skipped: their LLVM counterparts
    (`fpext`/`fptrunc`) take no fast-math flags, so the attribute would leak
    into the LLVM dialect as a discardable one.

    Limits: the results change within rounding (the order of summation is no
    longer fixed). No other flag (`nnan`, `ninf`, `afn`, ...) is set, so
    NaN and infinity propagate as usual. Ops of other dialects with their own
    fast-math attributes (e.g. `llvm.*`) are not touched.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

//===----------------------------------------------------------------------===//
// norm-drop-tied-buffer-results
//===----------------------------------------------------------------------===//

def NormDropTiedBufferResultsPass
    : Pass<"norm-drop-tied-buffer-results", "::mlir::ModuleOp"> {
  let summary = "Drop function results that are equivalent to an argument "
                "(public functions too) and record them in norm.tied_results";
  let description = [{
    Runs after one-shot bufferization of function boundaries. A memref result
    of a function that is one of its arguments (up to `memref.cast`) is
    removed from the signature and from the `func.return`; every `func.call`
    of the function uses the operand it passed for that argument instead
    (cast back to the result type when they differ). Dropping a callee's
    result can make its caller return an argument, so the pass iterates until
    nothing changes.

    Every function with a body and results gets
    `norm.tied_results = array<i64: ...>`: per original result, the index of
    the argument it was tied to, or -1 if it is still returned. The attribute
    survives into the LLVM dialect, for runtimes that call the C interface.

    Why not upstream `drop-equivalent-buffer-results`: it only rewrites
    private functions (a public signature is an external contract). But the
    public functions of a module compiled by `norm-lower-to-cpu` are exactly
    the kernels whose C ABI the pipeline defines: destination-passing style,
    where the caller passes the output buffer. Left as a result, the buffer
    deallocation pipeline must return an owned buffer and so clones the
    whole output on every call. This pass changes the public signature and
    records the change in the attribute instead.

    Limits:
    * ties are found syntactically: the returned value must be an entry block
      argument, possibly through `memref.cast`s (no alias analysis; a subview
      of an argument is not a tie);
    * only functions with a single `func.return` are rewritten;
    * only `func.call` users are updated; other symbol uses of a rewritten
      function are left as they are;
    * declarations (external functions) and functions without results are
      not touched and get no attribute.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

#endif // NORM_TRANSFORMS_PASSES_TD
