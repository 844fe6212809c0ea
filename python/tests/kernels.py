"""Hand-written linalg kernels (MLIR text) used by the runtime tests."""


def _tensor(shape, elem):
    dims = "x".join("?" if d is None else str(d) for d in shape)
    return f"tensor<{dims}x{elem}>"


def layer_norm(elem="f32", shape=(None, None), eps=1e-5, name="layer_norm"):
    """LayerNorm over the last axis in destination-passing style.

    Two-pass: mean, then variance of (x - mean), then (x - mean) *
    rsqrt(var + eps). Statistics are f32; f16/bf16 inputs are widened with
    arith.extf in the payloads and the result is narrowed with arith.truncf.
    """
    t = _tensor(shape, elem)
    s = _tensor(shape[:1], "f32")
    wide = elem != "f32"

    def load(v, out):
        return f"%{out} = arith.extf %{v} : {elem} to f32" if wide else \
            f"%{out} = arith.addf %{v}, %zero_ : f32"

    store = (f"%r = arith.truncf %rf : f32 to {elem}" if wide
             else "%r = arith.addf %rf, %zero_ : f32")
    rows = ("%rows = tensor.dim %x, %c0 : " + t) if shape[0] is None else \
        f"%rows = arith.constant {shape[0]} : index"
    empty = f"tensor.empty(%rows) : {s}" if shape[0] is None else \
        f"tensor.empty() : {s}"
    return f"""
#xmap = affine_map<(d0, d1) -> (d0, d1)>
#rmap = affine_map<(d0, d1) -> (d0)>
#vmap = affine_map<(d0) -> (d0)>
func.func @{name}(%x: {t}, %out: {t}) -> {t}
    attributes {{llvm.emit_c_interface}} {{
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  {rows}
  %cols = tensor.dim %x, %c1 : {t}
  %colsi = arith.index_cast %cols : index to i64
  %n = arith.uitofp %colsi : i64 to f32
  %zero = arith.constant 0.0 : f32
  %eps = arith.constant {eps:e} : f32
  %e0 = {empty}
  %z0 = linalg.fill ins(%zero : f32) outs(%e0 : {s}) -> {s}
  %e1 = {empty}
  %z1 = linalg.fill ins(%zero : f32) outs(%e1 : {s}) -> {s}
  %sum = linalg.generic {{indexing_maps = [#xmap, #rmap],
                         iterator_types = ["parallel", "reduction"]}}
      ins(%x : {t}) outs(%z0 : {s}) {{
  ^bb0(%a: {elem}, %acc: f32):
    %zero_ = arith.constant 0.0 : f32
    {load("a", "af")}
    %v = arith.addf %af, %acc : f32
    linalg.yield %v : f32
  }} -> {s}
  %mean = linalg.generic {{indexing_maps = [#vmap], iterator_types = ["parallel"]}}
      outs(%sum : {s}) {{
  ^bb0(%acc: f32):
    %v = arith.divf %acc, %n : f32
    linalg.yield %v : f32
  }} -> {s}
  %ssq = linalg.generic {{indexing_maps = [#xmap, #rmap, #rmap],
                         iterator_types = ["parallel", "reduction"]}}
      ins(%x, %mean : {t}, {s}) outs(%z1 : {s}) {{
  ^bb0(%a: {elem}, %m: f32, %acc: f32):
    %zero_ = arith.constant 0.0 : f32
    {load("a", "af")}
    %d = arith.subf %af, %m : f32
    %d2 = arith.mulf %d, %d : f32
    %v = arith.addf %d2, %acc : f32
    linalg.yield %v : f32
  }} -> {s}
  %y = linalg.generic {{indexing_maps = [#xmap, #rmap, #rmap, #xmap],
                       iterator_types = ["parallel", "parallel"]}}
      ins(%x, %mean, %ssq : {t}, {s}, {s}) outs(%out : {t}) {{
  ^bb0(%a: {elem}, %m: f32, %q: f32, %o: {elem}):
    %zero_ = arith.constant 0.0 : f32
    {load("a", "af")}
    %var = arith.divf %q, %n : f32
    %ve = arith.addf %var, %eps : f32
    %rs = math.rsqrt %ve : f32
    %d = arith.subf %af, %m : f32
    %rf = arith.mulf %d, %rs : f32
    {store}
    linalg.yield %r : {elem}
  }} -> {t}
  return %y : {t}
}}
"""
