"""A SIMT interpreter of norm-mlir's GPU kernels, for machines without a GPU.

It executes what convert-norm-to-gpu and gpu-kernel-outlining make of a
function (MLIR in the generic form, `--mlir-print-op-generic`): the host
function's gpu.alloc / gpu.launch_func / gpu.dealloc / gpu.wait sequence and
the outlined gpu.func kernels, on numpy arrays. It is a test oracle for the
kernels' indexing, masking, reductions and synchronization; it does not
model the NVVM lowering, ptxas, alignment or timing.

Execution model. A launch runs all its threads in lockstep: every SSA value
of a kernel holds one entry per thread of the grid (vectors: one row per
thread), and divergent structured control flow (scf.if, scf.for and
scf.while with per-thread bounds) runs under a mask of active threads.
Lockstep execution would hide missing synchronization, so the interpreter
checks it instead:

* Every 2-byte granule of memory remembers its last writer in the current
  launch (thread, block barrier epoch, cluster barrier epoch), and of shared
  memory its readers since the block's last barrier. An access races when
  another thread wrote (or, for a write to shared memory, read) the granule
  and no gpu.barrier of their block (or cluster barrier of their cluster)
  separates the two. A caller's array passed as two arguments (an output
  written in place over an input) is one buffer whose readers are tracked
  too, so that a thread overwriting what another thread of the launch reads
  is a race.
* gpu.barrier must be reached by all threads of a block or by none;
  gpu.shuffle must read an active lane.
* nvgpu.device_async_copy reads its source when issued and writes its
  destination only when nvgpu.device_async_wait retires its group, so data
  read before the wait is stale.
* gpu.alloc and shared memory start as all-ones bytes (NaN in every float
  type), so reading memory nobody wrote shows in the results.

Types: index and integers as int64/int32 (wrapping like the hardware),
f16/f32 as numpy's, bf16 as ml_dtypes.bfloat16; each arithmetic op rounds to
its result type, as the GPU does.
"""

import math
import re

import ml_dtypes
import numpy as np

GRANULE = 2  # bytes per race-tracking granule (the smallest element used)
WARP = 32


class SimtError(Exception):
    """A kernel did something a GPU would not do deterministically."""


#===------------------------------------------------------------------------===#
# Parsing the generic form.
#===------------------------------------------------------------------------===#


class Op:
    __slots__ = ("name", "results", "operands", "props", "attrs", "regions",
                 "in_types", "out_types")

    def __init__(self):
        self.results, self.operands, self.regions = [], [], []
        self.props, self.attrs = {}, {}
        self.in_types, self.out_types = [], []

    def attr(self, key, default=None):
        if key in self.props:
            return self.props[key]
        return self.attrs.get(key, default)


class Block:
    __slots__ = ("args", "arg_types", "ops")

    def __init__(self):
        self.args, self.arg_types, self.ops = [], [], []


_OPEN = {"(": ")", "[": "]", "{": "}", "<": ">"}


class Parser:
    def __init__(self, text):
        self.s = text
        self.i = 0

    def ws(self):
        s, n = self.s, len(self.s)
        while self.i < n:
            c = s[self.i]
            if c.isspace():
                self.i += 1
            elif s.startswith("//", self.i):
                j = s.find("\n", self.i)
                self.i = n if j < 0 else j + 1
            else:
                break

    def peek(self, tok):
        self.ws()
        return self.s.startswith(tok, self.i)

    def eat(self, tok):
        if self.peek(tok):
            self.i += len(tok)
            return True
        return False

    def expect(self, tok):
        if not self.eat(tok):
            raise SimtError("parse error at %r: expected %r" %
                            (self.s[self.i:self.i + 60], tok))

    def balanced(self):
        """The text of one bracketed group starting here ('->' and '>=' are
        not brackets; strings are skipped)."""
        self.ws()
        s, start = self.s, self.i
        stack = []
        i = self.i
        while True:
            c = s[i]
            if c == '"':
                i += 1
                while s[i] != '"':
                    i += 2 if s[i] == "\\" else 1
            elif c in _OPEN and not (c == "<" and s.startswith("<=", i)):
                stack.append(_OPEN[c])
            elif c == ">" and (s[i - 1] == "-" or s.startswith(">=", i)):
                pass
            elif stack and c == stack[-1]:
                stack.pop()
                if not stack:
                    self.i = i + 1
                    return s[start:self.i]
            i += 1

    def until_top_level(self, stops):
        """Text up to the first of `stops` outside brackets."""
        self.ws()
        s, start, depth = self.s, self.i, 0
        i = self.i
        while i < len(s):
            c = s[i]
            if depth == 0 and any(s.startswith(t, i) for t in stops):
                break
            if c in "([{" or (c == "<" and not s.startswith("<=", i)):
                depth += 1
            elif c in ")]}" or (c == ">" and s[i - 1] != "-"
                                and not s.startswith(">=", i)):
                depth -= 1
            i += 1
        self.i = i
        return s[start:i].strip()

    def name(self):
        self.ws()
        m = re.compile(r"[%^][\w$.#-]+").match(self.s, self.i)
        if not m:
            raise SimtError("parse error at %r" % self.s[self.i:self.i + 60])
        self.i = m.end()
        return m.group(0)

    def op(self):
        op = Op()
        if self.peek("%"):
            while True:
                name = self.name()
                count = 1
                if self.peek(":"):
                    self.eat(":")
                    m = re.compile(r"\d+").match(self.s, self.i)
                    count = int(m.group(0))
                    self.i = m.end()
                op.results += [name] if count == 1 else [
                    "%s#%d" % (name, k) for k in range(count)]
                if not self.eat(","):
                    break
            self.expect("=")
        self.ws()
        m = re.compile(r'"([\w.]+)"').match(self.s, self.i)
        if not m:
            raise SimtError("parse error at %r" % self.s[self.i:self.i + 60])
        op.name = m.group(1)
        self.i = m.end()
        self.expect("(")
        while not self.eat(")"):
            op.operands.append(self.name())
            self.eat(",")
        if self.peek("["):
            raise SimtError("%s: successors are not supported" % op.name)
        if self.peek("<{"):
            op.props = parse_dict(self.balanced()[1:-1])
        if self.peek("({"):
            self.expect("(")
            while True:
                op.regions.append(self.region())
                if not self.eat(","):
                    break
            self.expect(")")
        if self.peek("{"):
            op.attrs = parse_dict(self.balanced())
        self.expect(":")
        op.in_types = split_top(self.balanced()[1:-1])
        self.expect("->")
        if self.peek("("):
            op.out_types = split_top(self.balanced()[1:-1])
        else:
            op.out_types = [self.until_top_level(["\n"])]
        return op

    def region(self):
        self.expect("{")
        blocks = []
        block = None
        while not self.eat("}"):
            if self.peek("^"):
                block = Block()
                blocks.append(block)
                self.name()
                if self.eat("("):
                    while not self.eat(")"):
                        block.args.append(self.name())
                        self.expect(":")
                        block.arg_types.append(
                            self.until_top_level([",", ")"]))
                        self.eat(",")
                self.expect(":")
                continue
            if block is None:
                block = Block()
                blocks.append(block)
            block.ops.append(self.op())
        if len(blocks) > 1:
            raise SimtError("regions of more than one block are not supported")
        return blocks[0] if blocks else Block()


def split_top(text):
    p = Parser(text)
    out = []
    while True:
        p.ws()
        if p.i >= len(text):
            return out
        out.append(p.until_top_level([","]))
        p.eat(",")


def parse_dict(text):
    text = text.strip()
    assert text[0] == "{" and text[-1] == "}", text
    out = {}
    for item in split_top(text[1:-1]):
        key, _, value = item.partition("=")
        out[key.strip().strip('"')] = value.strip() if value else "unit"
    return out


def parse_module(text):
    p = Parser(text)
    op = p.op()
    if op.name != "builtin.module":
        raise SimtError("expected a builtin.module")
    return op


#===------------------------------------------------------------------------===#
# Types and attributes.
#===------------------------------------------------------------------------===#

DTYPES = {
    "f32": np.dtype(np.float32), "f16": np.dtype(np.float16),
    "bf16": np.dtype(ml_dtypes.bfloat16), "f64": np.dtype(np.float64),
    "i1": np.dtype(np.bool_), "i8": np.dtype(np.int8),
    "ui8": np.dtype(np.uint8),
    "i16": np.dtype(np.int16), "i32": np.dtype(np.int32),
    "i64": np.dtype(np.int64), "index": np.dtype(np.int64),
}
DYNAMIC = -9223372036854775808


def scalar_dtype(t):
    if t.startswith("vector<"):
        return DTYPES[t[7:-1].split("x")[-1]]
    return DTYPES[t]


def vector_shape(t):
    if not t.startswith("vector<"):
        return ()
    return tuple(int(d) for d in t[7:-1].split("x")[:-1])


def memref_type(t):
    """(shape with None for ?, element dtype, is workgroup memory)."""
    m = re.match(r"memref<([^,>]*)", t)
    dims = m.group(1).split("x")
    shape = tuple(None if d == "?" else int(d) for d in dims[:-1])
    return shape, DTYPES[dims[-1]], "workgroup" in t


def int_attr(text):
    return int(text.split(":")[0].strip())


def float_attr(text, dtype):
    value = text.split(":")[0].strip()
    if value.startswith("0x"):
        bits = int(value, 16)
        return np.array([bits], dtype={2: np.uint16, 4: np.uint32,
                                       8: np.uint64}[dtype.itemsize]).view(
                                           dtype)[0]
    return dtype.type(float(value))


def array_attr(text):
    body = text[text.index(":") + 1:-1].strip() if ":" in text else ""
    return [int(v) for v in body.split(",")] if body else []


def enum_word(text):
    """The last word of `#dialect<kind word>` or `#dialect.kind<word>`."""
    return re.search(r"(\w+)\s*>\s*$", text.strip()).group(1)


def dense_attr(text):
    """dense<...> : type as a numpy array of the type's shape."""
    body, _, typ = text.rpartition(":")
    typ = typ.strip()
    dtype = scalar_dtype(typ)
    shape = vector_shape(typ) or tuple(
        int(d) for d in re.match(r"tensor<(.*)x\w+>", typ).group(1).split("x"))
    inner = body.strip()[6:-1].strip()
    if inner.startswith('"0x'):
        raise SimtError("hex dense attributes are not supported")
    values = [v for v in re.split(r"[\[\],\s]+", inner) if v]
    if dtype.kind == "b":
        parsed = [v == "true" for v in values]
    elif dtype.kind in "iu":
        parsed = [int(v) for v in values]
    else:
        parsed = [float_attr(v, dtype) for v in values]
    arr = np.array(parsed, dtype=dtype)
    return np.broadcast_to(arr, shape).copy() if arr.size == 1 else \
        arr.reshape(shape)


#===------------------------------------------------------------------------===#
# Memory.
#===------------------------------------------------------------------------===#


class Buffer:
    """Bytes of device memory, with race-tracking metadata per granule.
    Memory the interpreter allocates (gpu.alloc, shared memory; not the
    caller's arrays) also tracks which granules were ever written."""

    def __init__(self, nbytes, name, shared=False, data=None):
        nbytes = max(nbytes, GRANULE)
        nbytes += (-nbytes) % GRANULE
        self.data = np.full(nbytes, 0xFF, np.uint8) if data is None else data
        self.name, self.shared = name, shared
        # Readers are tracked (write-after-read) in shared memory and in a
        # caller's array passed as two arguments (in place).
        self.aliased = False
        self.written = None if data is not None else np.zeros(
            nbytes // GRANULE, bool)
        self.pending = None  # cp.async copies in flight, per granule
        self.meta_launch = -1
        self.w_tid = self.w_bep = self.w_cep = None
        self.r_tid = self.r_bep = self.r_cep = None

    @property
    def tracks_reads(self):
        return self.shared or self.aliased

    def reset_meta(self, launch):
        if self.meta_launch == launch:
            return
        n = self.data.size // GRANULE
        self.meta_launch = launch
        self.w_tid = np.full(n, -1, np.int64)
        self.w_bep = np.zeros(n, np.int64)
        self.w_cep = np.zeros(n, np.int64)
        if self.tracks_reads:
            self.r_tid = np.full(n, -1, np.int64)
            self.r_bep = np.zeros(n, np.int64)
            self.r_cep = np.zeros(n, np.int64)


class MemRef:
    """A view: buffers (one per block for shared memory), per-thread element
    offsets, sizes and strides (ints, or per-thread arrays for offsets)."""

    __slots__ = ("buffers", "offset", "sizes", "strides", "dtype")

    def __init__(self, buffers, offset, sizes, strides, dtype):
        self.buffers, self.offset = buffers, offset
        self.sizes, self.strides, self.dtype = list(sizes), list(strides), dtype


def identity_strides(sizes):
    strides, acc = [], 1
    for s in reversed(sizes):
        strides.append(acc)
        acc *= s
    return strides[::-1]


#===------------------------------------------------------------------------===#
# The interpreter.
#===------------------------------------------------------------------------===#


class Launch:
    """Per-launch thread geometry (every array has one entry per thread)."""

    def __init__(self, grid, block, cluster):
        self.grid, self.block = grid, block
        nthreads = block[0] * block[1] * block[2]
        nblocks = grid[0] * grid[1] * grid[2]
        self.nthreads, self.nblocks = nthreads, nblocks
        self.n = nthreads * nblocks
        tid = np.arange(self.n, dtype=np.int64)
        self.tid = tid
        self.blk = tid // nthreads
        local = tid % nthreads
        self.thread_id = (local % block[0], local // block[0] % block[1],
                          local // (block[0] * block[1]))
        b = self.blk
        bid = (b % grid[0], b // grid[0] % grid[1], b // (grid[0] * grid[1]))
        self.block_id = bid
        cdims = cluster or (1, 1, 1)
        cid = tuple(i // c for i, c in zip(bid, cdims))
        ncl = tuple(g // c for g, c in zip(grid, cdims))
        self.cluster = cid[0] + ncl[0] * (cid[1] + ncl[1] * cid[2])
        self.lane = local % WARP
        self.block_epoch = np.zeros(nblocks, np.int64)
        nclusters = ncl[0] * ncl[1] * ncl[2]
        self.cluster_epoch = np.zeros(nclusters, np.int64)  # arrivals
        self.cluster_waited = np.zeros(nclusters, np.int64)  # arrivals waited


class Interpreter:
    def __init__(self, module_text):
        self.module = parse_module(module_text)
        self.funcs, self.kernels = {}, {}
        for op in self.module.regions[0].ops:
            if op.name == "func.func":
                self.funcs[op.attr("sym_name").strip('"')] = op
            elif op.name == "gpu.module":
                mod = op.attr("sym_name").strip('"')
                for k in op.regions[0].ops:
                    if k.name == "gpu.func":
                        name = k.attr("sym_name").strip('"')
                        self.kernels["@%s::@%s" % (mod, name)] = k
        self.launches = 0
        self.launch_log = []

    # -- host ---------------------------------------------------------------

    def call(self, name, *arrays):
        """Runs host function `name` on numpy arrays (written in place)."""
        func = self.funcs[name]
        block = func.regions[0]
        if len(block.args) != len(arrays):
            raise SimtError("%s takes %d arguments" % (name, len(block.args)))
        env, buffers = {}, []
        for arg, typ, arr in zip(block.args, block.arg_types, arrays):
            shape, dtype, _ = memref_type(typ)
            if arr.dtype != dtype or not arr.flags.c_contiguous:
                raise SimtError("%s: argument %s must be a contiguous %s array"
                                % (name, arg, dtype))
            if any(s is not None and s != a for s, a in zip(shape, arr.shape)):
                raise SimtError("%s: argument %s has shape %s, not %s" %
                                (name, arg, arr.shape, typ))
            buf = None
            for other, other_buf in buffers:
                if not np.shares_memory(arr, other):
                    continue
                if (arr.__array_interface__["data"][0] !=
                        other.__array_interface__["data"][0] or
                        arr.nbytes != other.nbytes):
                    raise SimtError("%s: argument %s partly overlaps another"
                                    % (name, arg))
                buf = other_buf
                buf.aliased = True
            if buf is None:
                buf = Buffer(arr.nbytes, arg,
                             data=arr.reshape(-1).view(np.uint8))
                buffers.append((arr, buf))
            env[arg] = MemRef([buf], 0, arr.shape,
                              identity_strides(arr.shape), dtype)
        Kernel(self, _HostContext(), env).exec_block(block, np.ones(1, bool))

    def launch(self, op, env):
        seg = array_attr(op.attr("operandSegmentSizes"))
        ops = op.operands
        pos = seg[0]

        def take(count):
            nonlocal pos
            vals = [int(np.asarray(env[o]).reshape(-1)[0])
                    for o in ops[pos:pos + count]]
            pos += count
            return vals

        grid = take(3)
        block = take(3)
        cluster = take(seg[7] + seg[8] + seg[9])
        smem = take(seg[10])
        args = [env[o] for o in ops[pos:pos + seg[11]]]
        kernel = self.kernels[op.attr("kernel").strip()]
        self.launches += 1
        geo = Launch(grid, block, tuple(cluster) if cluster else None)
        self.launch_log.append((kernel.attr("sym_name").strip('"'), grid,
                                block, tuple(cluster), smem[0] if smem else 0))
        Kernel(self, geo, {}).run(kernel, args, smem[0] if smem else 0)
        if op.results:
            env[op.results[0]] = None


class _HostContext:
    """The host function runs as one thread."""
    n = 1


def _wrap(values, dtype):
    return values.astype(dtype) if values.dtype != dtype else values


class Kernel:
    """Executes ops over all threads of a launch (or the host's one)."""

    def __init__(self, interp, geo, env):
        self.interp, self.geo, self.env = interp, geo, env
        self.n = geo.n
        self.copies = []  # pending cp.async copies
        self.groups = np.zeros(self.n, np.int64)  # committed groups a thread
        self.arrived = np.zeros(self.n, bool)  # at a cluster barrier

    # -- values -------------------------------------------------------------

    def get(self, name):
        return self.env[name]

    def per_thread(self, value, dtype=None):
        arr = np.asarray(value)
        if arr.ndim == 0 or arr.shape[0] != self.n:
            arr = np.broadcast_to(arr, (self.n,) + arr.shape)
        return arr if dtype is None else _wrap(arr, dtype)

    def set(self, name, value, mask, merge=True):
        if merge and name in self.env and not mask.all():
            old = self.env[name]
            if isinstance(value, np.ndarray) and isinstance(old, np.ndarray):
                m = mask.reshape((-1,) + (1,) * (value.ndim - 1))
                value = np.where(m, value, old).astype(value.dtype)
        self.env[name] = value

    # -- kernels ------------------------------------------------------------

    def run(self, func, args, smem):
        block = func.regions[0]
        nargs = len(args)
        for name, value in zip(block.args, args):
            self.env[name] = value
        geo = self.geo
        for name, typ in zip(block.args[nargs:], block.arg_types[nargs:]):
            shape, dtype, _ = memref_type(typ)
            nbytes = int(np.prod(shape)) * dtype.itemsize
            bufs = [Buffer(nbytes, name, shared=True)
                    for _ in range(geo.nblocks)]
            self.env[name] = MemRef(bufs, 0, shape, identity_strides(shape),
                                    dtype)
        self.dynamic_shared = [Buffer(smem, "dynamic_shared_memory",
                                      shared=True)
                               for _ in range(geo.nblocks)] if smem else []
        self.exec_block(block, np.ones(self.n, bool))
        if any(len(c["pending"]) and c["pending"].any() for c in self.copies):
            raise SimtError("cp.async copies never waited for")

    def exec_block(self, block, mask):
        for op in block.ops:
            if op.name in ("gpu.return", "func.return", "scf.yield",
                           "scf.condition"):
                return [self.get(o) for o in op.operands]
            self.exec_op(op, mask)
        return []

    # Elementwise binary ops: numpy's, rounded to the result type.
    BINARY = {"arith.addf": np.add, "arith.subf": np.subtract,
              "arith.mulf": np.multiply, "arith.divf": np.divide,
              "arith.maximumf": np.maximum, "arith.minimumf": np.minimum, "arith.addi": np.add,
              "arith.subi": np.subtract, "arith.muli": np.multiply,
              "arith.andi": np.bitwise_and}

    def exec_op(self, op, mask):
        if op.name in self.BINARY:
            out = self._binary(op, self.BINARY[op.name])
        else:
            handler = getattr(self, "op_" + op.name.replace(".", "_"), None)
            if handler is None:
                raise SimtError("unsupported op %s" % op.name)
            out = handler(op, mask)
        if out is None:
            return
        if not isinstance(out, (list, tuple)):
            out = [out]
        for name, value in zip(op.results, out):
            self.set(name, value, mask)

    def operands(self, op):
        return [self.get(o) for o in op.operands]

    # -- host ---------------------------------------------------------------

    def _host_only(self, op):
        if not isinstance(self.geo, _HostContext):
            raise SimtError("%s in a kernel" % op.name)

    def op_gpu_wait(self, op, mask):
        self._host_only(op)
        return [None] * len(op.results)

    op_gpu_dealloc = op_gpu_wait

    def op_gpu_alloc(self, op, mask):
        self._host_only(op)
        shape, dtype, _ = memref_type(op.out_types[0])
        seg = array_attr(op.attr("operandSegmentSizes"))
        dyn = [self._uniform(self.get(o))
               for o in op.operands[seg[0]:seg[0] + seg[1]]]
        sizes = [s if s is not None else dyn.pop(0) for s in shape]
        nbytes = int(np.prod(sizes)) * dtype.itemsize
        ref = MemRef([Buffer(nbytes, op.results[0])], 0, sizes,
                     identity_strides(sizes), dtype)
        return [ref] + [None] * (len(op.results) - 1)

    def op_gpu_launch_func(self, op, mask):
        self._host_only(op)
        self.interp.launch(op, self.env)
        return [None] * len(op.results)

    # -- ids ----------------------------------------------------------------

    def _dim(self, op):
        return "xyz".index(enum_word(op.attr("dimension")))

    def op_gpu_thread_id(self, op, mask):
        return self.geo.thread_id[self._dim(op)]

    def op_gpu_block_id(self, op, mask):
        return self.geo.block_id[self._dim(op)]

    def op_gpu_block_dim(self, op, mask):
        return np.int64(self.geo.block[self._dim(op)])

    def op_gpu_grid_dim(self, op, mask):
        return np.int64(self.geo.grid[self._dim(op)])

    # -- synchronization ----------------------------------------------------

    def op_gpu_barrier(self, op, mask):
        geo = self.geo
        per_block = np.bincount(geo.blk[mask], minlength=geo.nblocks)
        partial = (per_block != 0) & (per_block != geo.nthreads)
        if partial.any():
            raise SimtError("gpu.barrier reached by %d of the %d threads of "
                            "block %d" % (per_block[partial][0], geo.nthreads,
                                          np.flatnonzero(partial)[0]))
        geo.block_epoch[per_block != 0] += 1

    # A cluster barrier is split: nvvm.cluster.arrive (release) counts the
    # arrivals that writes are stamped with; nvvm.cluster.wait (acquire)
    # needs every thread of the cluster to have arrived, and orders after
    # it only what was written before the arrival.
    def op_nvvm_cluster_arrive(self, op, mask):
        geo = self.geo
        if (self.arrived & mask).any():
            raise SimtError("nvvm.cluster.arrive twice without a wait")
        self.arrived |= mask
        geo.cluster_epoch[np.unique(geo.cluster[mask])] += 1

    def op_nvvm_cluster_wait(self, op, mask):
        geo = self.geo
        clusters = np.unique(geo.cluster[mask])
        members = np.isin(geo.cluster, clusters)
        if not self.arrived[members].all():
            raise SimtError("nvvm.cluster.wait before every thread of the "
                            "cluster arrived (a deadlock on the GPU)")
        if (members & ~mask).any():
            raise SimtError("nvvm.cluster.wait not reached by a whole cluster")
        self.arrived[members] = False
        geo.cluster_waited[clusters] = geo.cluster_epoch[clusters]
        # It also orders the threads of each block.
        geo.block_epoch[np.unique(geo.blk[mask])] += 1

    def op_gpu_shuffle(self, op, mask):
        value, offset, width = self.operands(op)
        mode = enum_word(op.attr("mode"))
        geo = self.geo
        lane = geo.lane
        offset = self.per_thread(offset).astype(np.int64)
        width = self.per_thread(width).astype(np.int64)
        if mode == "xor":
            src = lane ^ offset
        elif mode == "down":
            src = lane + offset
        elif mode == "up":
            src = lane - offset
        else:
            src = offset
        valid = (src >= 0) & (src < width)
        warp_start = geo.tid - lane
        src_tid = warp_start + np.where(valid, src, lane)
        # A lane past the end of the block does not exist.
        missing = geo.blk[np.minimum(src_tid, geo.n - 1)] != geo.blk
        if (mask & valid & (missing | (src_tid >= geo.n))).any():
            raise SimtError("gpu.shuffle reads a lane past the block")
        if not mask[src_tid[mask & valid]].all():
            raise SimtError("gpu.shuffle reads an inactive lane")
        value = self.per_thread(value)
        return [value[src_tid], valid]

    # -- structured control flow --------------------------------------------

    def op_scf_for(self, op, mask):
        lb, ub, step, *init = self.operands(op)
        body = op.regions[0]
        lb, ub, step = (self.per_thread(v, np.int64) for v in (lb, ub, step))
        iv = lb.copy()
        carried = [self.per_thread(v) for v in init]
        active = mask & (iv < ub)
        while active.any():
            self.env[body.args[0]] = iv
            for name, value in zip(body.args[1:], carried):
                self.env[name] = value
            out = self.exec_block(body, active)
            carried = [self._merge(active, new, old)
                       for new, old in zip(out, carried)]
            iv = np.where(active, iv + step, iv)
            active = active & (iv < ub)
        return carried

    def _merge(self, mask, new, old):
        new, old = self.per_thread(new), self.per_thread(old)
        m = mask.reshape((-1,) + (1,) * (new.ndim - 1))
        return np.where(m, new, old).astype(new.dtype)

    def op_scf_if(self, op, mask):
        cond = self.per_thread(self.get(op.operands[0])).astype(bool)
        results = None
        then_mask, else_mask = mask & cond, mask & ~cond
        if then_mask.any():
            results = [self.per_thread(v)
                       for v in self.exec_block(op.regions[0], then_mask)]
        if len(op.regions) > 1 and op.regions[1].ops and else_mask.any():
            other = [self.per_thread(v)
                     for v in self.exec_block(op.regions[1], else_mask)]
            results = other if results is None else [
                self._merge(then_mask, a, b) for a, b in zip(results, other)]
        if results is None:
            return [self.per_thread(np.zeros((), scalar_dtype(t)))
                    if not t.startswith("vector") else
                    np.zeros((self.n,) + vector_shape(t), scalar_dtype(t))
                    for t in op.out_types] if op.results else None
        return results

    # -- arith and math -----------------------------------------------------

    def op_arith_constant(self, op, mask):
        value, typ = op.attr("value"), op.out_types[0]
        if value.startswith("dense<"):
            # Vectors always carry the thread dimension first.
            arr = dense_attr(value)
            return np.broadcast_to(arr, (self.n,) + arr.shape)
        dtype = scalar_dtype(typ)
        if value in ("true", "false"):
            return np.bool_(value == "true")
        if dtype.kind == "f":
            return float_attr(value, dtype)
        return dtype.type(int_attr(value))

    def _binary(self, op, fn):
        a, b = self.operands(op)
        dtype = scalar_dtype(op.out_types[0])
        with np.errstate(all="ignore"):
            return _wrap(np.asarray(fn(np.asarray(a), np.asarray(b))), dtype)

    def op_arith_negf(self, op, mask):
        return -np.asarray(self.get(op.operands[0]))

    def _int_div(self, op, rounding):
        a, b = (np.asarray(v).astype(np.int64) for v in self.operands(op))
        b_safe = np.where(b == 0, 1, b)
        if rounding == "floor":
            q = np.floor_divide(a, b_safe)
        else:
            q = np.sign(a) * np.sign(b_safe) * (np.abs(a) // np.abs(b_safe))
            if rounding == "ceil":
                q = q + ((q * b_safe != a) & ((a < 0) == (b_safe < 0)))
        return _wrap(q, scalar_dtype(op.out_types[0]))

    def op_arith_divsi(self, op, mask):
        return self._int_div(op, "trunc")

    def op_arith_divui(self, op, mask):
        return self._int_div(op, "floor")

    def op_arith_floordivsi(self, op, mask):
        return self._int_div(op, "floor")

    def op_arith_ceildivsi(self, op, mask):
        return self._int_div(op, "ceil")

    def op_arith_ceildivui(self, op, mask):
        return self._int_div(op, "ceil")

    def op_arith_remsi(self, op, mask):
        a, b = (np.asarray(v).astype(np.int64) for v in self.operands(op))
        b = np.where(b == 0, 1, b)
        return _wrap(np.fmod(a, b), scalar_dtype(op.out_types[0]))

    def op_arith_remui(self, op, mask):
        a, b = (np.asarray(v).astype(np.int64) for v in self.operands(op))
        return _wrap(a % np.where(b == 0, 1, b), scalar_dtype(op.out_types[0]))

    def op_arith_minui(self, op, mask):
        return self._binary(op, lambda a, b: np.where(
            a.astype(np.uint64) < b.astype(np.uint64), a, b))

    def op_arith_maxui(self, op, mask):
        return self._binary(op, lambda a, b: np.where(
            a.astype(np.uint64) > b.astype(np.uint64), a, b))

    _CMPI = {0: np.equal, 1: np.not_equal, 2: np.less, 3: np.less_equal,
             4: np.greater, 5: np.greater_equal, 6: np.less, 7: np.less_equal,
             8: np.greater, 9: np.greater_equal}

    def op_arith_cmpi(self, op, mask):
        a, b = (np.asarray(v) for v in self.operands(op))
        pred = int_attr(op.attr("predicate"))
        if pred >= 6:  # unsigned
            unsigned = np.dtype("u%d" % max(a.dtype.itemsize, 1))
            a, b = a.astype(a.dtype).view(unsigned) if a.ndim else \
                np.array(a).view(unsigned), np.array(b).view(unsigned)
        return self._CMPI[pred](a, b)

    def op_arith_cmpf(self, op, mask):
        a, b = (np.asarray(v).astype(np.float64) for v in self.operands(op))
        pred = int_attr(op.attr("predicate"))
        unordered = np.isnan(a) | np.isnan(b)
        base = {1: np.equal, 2: np.greater, 3: np.greater_equal, 4: np.less,
                5: np.less_equal, 6: np.not_equal}
        if pred == 0:
            return np.zeros(np.broadcast(a, b).shape, bool)
        if pred == 15:
            return np.ones(np.broadcast(a, b).shape, bool)
        if pred == 7:
            return ~unordered
        if pred == 14:
            return unordered
        if pred < 7:
            return base[pred](a, b) & ~unordered
        return base[pred - 7](a, b) | unordered

    def op_arith_select(self, op, mask):
        c, a, b = (np.asarray(v) for v in self.operands(op))
        if c.ndim == 1 and a.ndim > 1:
            c = c.reshape((-1,) + (1,) * (a.ndim - 1))
        dtype = scalar_dtype(op.out_types[0])
        return np.where(c, a, b).astype(dtype)

    def _cast(self, op, mask):
        value = np.asarray(self.get(op.operands[0]))
        dtype = scalar_dtype(op.out_types[0])
        if value.dtype.kind == "f" and dtype.kind in "iu":
            value = np.trunc(value.astype(np.float64))
        with np.errstate(all="ignore"):
            return value.astype(dtype)

    op_arith_extf = op_arith_truncf = op_arith_sitofp = op_arith_fptosi = _cast

    def op_arith_uitofp(self, op, mask):
        value = np.asarray(self.get(op.operands[0]))
        unsigned = np.dtype("u%d" % value.dtype.itemsize)
        return value.view(unsigned).astype(scalar_dtype(op.out_types[0]))

    def op_arith_index_castui(self, op, mask):
        value = np.asarray(self.get(op.operands[0]))
        if value.dtype.itemsize < 8:
            value = value.view(np.dtype("u%d" % value.dtype.itemsize))
        return value.astype(np.int64)

    def _unary_math(self, op, fn):
        value = np.asarray(self.get(op.operands[0]))
        dtype = scalar_dtype(op.out_types[0])
        with np.errstate(all="ignore"):
            return fn(value.astype(np.float32) if dtype.itemsize < 4 else
                      value).astype(dtype)

    def op_math_rsqrt(self, op, mask):
        return self._unary_math(op, lambda x: 1 / np.sqrt(x))

    def op_math_exp(self, op, mask):
        return self._unary_math(op, np.exp)

    def op_math_expm1(self, op, mask):
        return self._unary_math(op, np.expm1)

    def op_math_sqrt(self, op, mask):
        return self._unary_math(op, np.sqrt)

    def op_math_tanh(self, op, mask):
        return self._unary_math(op, np.tanh)

    def op_math_log(self, op, mask):
        return self._unary_math(op, np.log)

    def op_math_log1p(self, op, mask):
        return self._unary_math(op, np.log1p)

    _erf = np.vectorize(math.erf, otypes=[np.float64])

    def op_math_erf(self, op, mask):
        return self._unary_math(op, lambda x: self._erf(x).astype(x.dtype))

    def op_math_fma(self, op, mask):
        a, b, c = (np.asarray(v) for v in self.operands(op))
        dtype = scalar_dtype(op.out_types[0])
        # One rounding, as the hardware's fma.
        return (a.astype(np.float64) * b.astype(np.float64) +
                c.astype(np.float64)).astype(dtype)

    # -- vector -------------------------------------------------------------

    def op_vector_broadcast(self, op, mask):
        value = self.per_thread(self.get(op.operands[0]))
        shape = vector_shape(op.out_types[0])
        # [n, *src] -> [n, 1.., *src] -> [n, *shape]
        lead = (1,) * (len(shape) - (value.ndim - 1))
        return np.broadcast_to(value.reshape((self.n,) + lead + value.shape[1:]),
                               (self.n,) + shape)

    def _static_pos(self, op):
        return array_attr(op.attr("static_position"))

    def op_vector_extract(self, op, mask):
        src = self.get(op.operands[0])
        pos = self._static_pos(op)
        dyn = iter(op.operands[1:])
        idx = [slice(None)]
        for p in pos:
            idx.append(self.per_thread(self.get(next(dyn)), np.int64)
                       if p == DYNAMIC else p)
        if any(isinstance(i, np.ndarray) for i in idx):
            rows = np.arange(self.n)
            return src[(rows,) + tuple(idx[1:])]
        return src[tuple(idx)]

    def op_vector_bitcast(self, op, mask):
        value = np.ascontiguousarray(self.get(op.operands[0]))
        shape = vector_shape(op.out_types[0])
        return value.view(scalar_dtype(op.out_types[0])).reshape(
            value.shape[:value.ndim - len(vector_shape(op.in_types[0]))] +
            shape)

    def op_vector_from_elements(self, op, mask):
        shape = vector_shape(op.out_types[0])
        parts = [self.per_thread(v) for v in self.operands(op)]
        return np.stack(parts, axis=-1).reshape((self.n,) + shape).astype(
            scalar_dtype(op.out_types[0]))

    # -- memory -------------------------------------------------------------

    def _addresses(self, ref, indices, mask, count):
        """Per active thread: the buffer index and the element offsets of
        `count` consecutive elements at `indices`."""
        lanes = np.flatnonzero(mask)
        elem = self.per_thread(ref.offset, np.int64)[lanes]
        for idx, stride in zip(indices, ref.strides):
            elem = elem + self.per_thread(idx, np.int64)[lanes] * stride
        if count > 1 and ref.strides and ref.strides[-1] != 1:
            raise SimtError("vector access along a strided dimension")
        for idx, size in zip(indices, ref.sizes):
            i = self.per_thread(idx, np.int64)[lanes]
            if size is not None and ((i < 0) | (i >= size)).any():
                raise SimtError("index out of bounds of a memref of shape %s"
                                % (ref.sizes,))
        if indices and ref.sizes[-1] is not None:
            last = self.per_thread(indices[-1], np.int64)[lanes]
            if (last + count > ref.sizes[-1]).any():
                raise SimtError("vector of %d runs past dimension %d" %
                                (count, ref.sizes[-1]))
        return lanes, elem[:, None] + np.arange(count)

    def _buffer_rows(self, ref, lanes):
        if len(ref.buffers) == 1:
            return [(ref.buffers[0], np.arange(lanes.size))]
        blk = self.geo.blk[lanes]
        return [(ref.buffers[b], np.flatnonzero(blk == b))
                for b in np.unique(blk)]

    def load(self, ref, indices, mask, count, vector):
        lanes, elems = self._addresses(ref, indices, mask, count)
        dtype = ref.dtype
        out = np.zeros((self.n, count), dtype)
        for buf, rows in self._buffer_rows(ref, lanes):
            if rows.size == 0:
                continue
            byte0 = elems[rows] * dtype.itemsize
            nbytes = buf.data.size
            if (byte0 < 0).any() or (byte0 + dtype.itemsize > nbytes).any():
                raise SimtError("read outside %s" % buf.name)
            self.track(buf, byte0, dtype.itemsize, lanes[rows], write=False)
            gran = granules(byte0, dtype.itemsize)
            if buf.pending is not None and buf.pending[gran].any():
                raise SimtError("a thread reads the destination of a "
                                "cp.async in %s before waiting for it" %
                                buf.name)
            if buf.written is not None and not buf.written[gran].all():
                raise SimtError("a thread reads bytes of %s that nothing "
                                "wrote" % buf.name)
            bytes_ = buf.data[byte0[..., None] +
                              np.arange(dtype.itemsize)]
            out[lanes[rows]] = bytes_.reshape(rows.size, -1).view(
                dtype).reshape(rows.size, count)
        return out if vector else out[:, 0]

    def store(self, ref, indices, mask, values):
        values = np.asarray(values)
        count = values.shape[-1] if values.ndim > 1 or (
            values.ndim == 1 and self.n == 1 and values.size > 1) else 1
        values = self.per_thread(values).reshape(self.n, count).astype(
            ref.dtype)
        lanes, elems = self._addresses(ref, indices, mask, count)
        dtype = ref.dtype
        for buf, rows in self._buffer_rows(ref, lanes):
            if rows.size == 0:
                continue
            byte0 = elems[rows] * dtype.itemsize
            if (byte0 < 0).any() or (byte0 + dtype.itemsize >
                                     buf.data.size).any():
                raise SimtError("write outside %s" % buf.name)
            self.track(buf, byte0, dtype.itemsize, lanes[rows], write=True)
            if buf.written is not None:
                buf.written[granules(byte0, dtype.itemsize)] = True
            raw = np.ascontiguousarray(values[lanes[rows]]).view(np.uint8)
            buf.data[(byte0[..., None] + np.arange(dtype.itemsize)).reshape(
                rows.size, -1)] = raw.reshape(rows.size, -1)

    def track(self, buf, byte0, size, tids, write):
        """Race checks and bookkeeping for an access of threads `tids` to
        elements at byte offsets byte0 [threads, count] of `size` bytes."""
        if isinstance(self.geo, _HostContext):
            return
        geo = self.geo
        launch = self.interp.launches
        if buf.meta_launch != launch:
            if not write and not buf.tracks_reads:
                return  # not written in this launch
            buf.reset_meta(launch)
        gran = granules(byte0, size).reshape(tids.size, -1)
        t = np.broadcast_to(tids[:, None], gran.shape).reshape(-1)
        g = gran.reshape(-1)
        blk = geo.blk[t]
        bep = geo.block_epoch[blk]
        cl = geo.cluster[t]
        cep = geo.cluster_epoch[cl]

        def unordered(prev_tid, prev_bep, prev_cep):
            other = (prev_tid >= 0) & (prev_tid != t)
            pb = geo.blk[np.maximum(prev_tid, 0)]
            same_block = pb == blk
            same_cluster = geo.cluster[np.maximum(prev_tid, 0)] == cl
            ordered = (same_block & (prev_bep < bep)) | (
                same_cluster & (prev_cep < geo.cluster_waited[cl]))
            return other & ~ordered

        bad = unordered(buf.w_tid[g], buf.w_bep[g], buf.w_cep[g])
        if bad.any():
            k = np.flatnonzero(bad)[0]
            raise SimtError(
                "race on %s: thread %d %s byte %d written by thread %d "
                "without a barrier between" %
                (buf.name, t[k], "writes" if write else "reads",
                 g[k] * GRANULE, buf.w_tid[g][k]))
        if buf.tracks_reads and write:
            r = buf.r_tid[g]
            stale = r == -2
            readers = np.where(stale, -1, r)
            if buf.shared:
                # Reads are ordered by block barriers only.
                bad = unordered(readers, buf.r_bep[g],
                                np.full_like(g, np.iinfo(np.int64).max))
                many = stale & (buf.r_bep[g] >= bep)
            else:
                # Several readers of global memory: conservatively a race.
                bad = unordered(readers, buf.r_bep[g], buf.r_cep[g])
                many = stale
            if (bad | many).any():
                k = np.flatnonzero(bad | many)[0]
                raise SimtError(
                    "race on %s: thread %d overwrites byte %d that other "
                    "threads read since the last barrier" %
                    (buf.name, t[k], g[k] * GRANULE))
        if write:
            dup = np.unique(g, return_counts=True)
            if (dup[1] > 1).any():
                # Several threads of one store on one granule.
                gg = dup[0][dup[1] > 1][0]
                owners = np.unique(t[g == gg])
                if owners.size > 1:
                    raise SimtError("race on %s: threads %s write byte %d at "
                                    "once" % (buf.name, owners[:2],
                                              gg * GRANULE))
            buf.w_tid[g] = t
            buf.w_bep[g] = bep
            buf.w_cep[g] = cep
            if buf.tracks_reads:
                buf.r_tid[g] = -1
        elif buf.tracks_reads:
            prev = buf.r_tid[g]
            if buf.shared:
                fresh = (prev == -1) | (buf.r_bep[g] < bep)
            else:
                # The earlier read is ordered before this one.
                fresh = (prev == -1) | ((prev >= 0) & ~unordered(
                    prev, buf.r_bep[g], buf.r_cep[g]))
            # Distinct readers of one granule in this access.
            order = np.lexsort((t, g))
            gs, ts = g[order], t[order]
            first = np.r_[True, gs[1:] != gs[:-1]]
            tmin = ts[first]
            tmax = np.maximum.reduceat(ts, np.flatnonzero(first))
            ug = gs[first]
            pg = buf.r_tid[ug]
            pfresh = fresh[order][first]
            single = tmin == tmax
            same_prev = pfresh | (pg == tmin)
            new = np.where(single & same_prev, tmin, -2)
            buf.r_tid[ug] = new
            buf.r_bep[ug] = bep[order][first]
            buf.r_cep[ug] = cep[order][first]

    def _indices(self, op, start, count):
        return [self.get(o) for o in op.operands[start:start + count]]

    def op_memref_load(self, op, mask):
        ref = self.get(op.operands[0])
        return self.load(ref, self._indices(op, 1, len(op.operands) - 1),
                         mask, 1, False)

    def op_memref_store(self, op, mask):
        value, ref = self.get(op.operands[0]), self.get(op.operands[1])
        self.store(ref, self._indices(op, 2, len(op.operands) - 2), mask,
                   np.asarray(value)[..., None] if np.asarray(value).ndim <= 1
                   else value)

    def op_vector_load(self, op, mask):
        ref = self.get(op.operands[0])
        shape = vector_shape(op.out_types[0])
        if len(shape) != 1:
            raise SimtError("vector.load of rank > 1")
        return self.load(ref, self._indices(op, 1, len(op.operands) - 1),
                         mask, shape[0], True)

    def op_vector_store(self, op, mask):
        value, ref = self.get(op.operands[0]), self.get(op.operands[1])
        self.store(ref, self._indices(op, 2, len(op.operands) - 2), mask,
                   value)

    # -- views --------------------------------------------------------------

    def _uniform(self, value):
        arr = np.asarray(value)
        if arr.ndim == 0:
            return int(arr)
        if not (arr == arr.reshape(-1)[0]).all():
            raise SimtError("a memref size or stride differs between threads")
        return int(arr.reshape(-1)[0])

    def op_memref_collapse_shape(self, op, mask):
        ref = self.get(op.operands[0])
        reassoc = parse_reassociation(op.attr("reassociation"))
        sizes, strides = [], []
        for group in reassoc:
            size = 1
            for d in group:
                size *= ref.sizes[d]
            for a, b in zip(group, group[1:]):
                if ref.sizes[b] != 1 and ref.strides[a] != \
                        ref.strides[b] * ref.sizes[b]:
                    raise SimtError("collapse_shape of non-contiguous dims")
            sizes.append(size)
            strides.append(ref.strides[group[-1]] if group else 1)
        return MemRef(ref.buffers, ref.offset, sizes, strides, ref.dtype)

    def op_memref_expand_shape(self, op, mask):
        """Static result shapes of contiguous sources only (the kernels
        expand a rank-0 statistic to memref<1x...>)."""
        ref = self.get(op.operands[0])
        shape, _, _ = memref_type(op.out_types[0])
        if None in shape or (ref.sizes and ref.strides !=
                             identity_strides(ref.sizes)):
            raise SimtError("expand_shape of a dynamic or strided memref")
        return MemRef(ref.buffers, ref.offset, shape, identity_strides(shape),
                      ref.dtype)

    def op_memref_view(self, op, mask):
        ref = self.get(op.operands[0])
        shift = self._uniform(self.get(op.operands[1]))
        shape, dtype, _ = memref_type(op.out_types[0])
        dyn = iter(op.operands[2:])
        sizes = [self._uniform(self.get(next(dyn))) if s is None else s
                 for s in shape]
        if shift % dtype.itemsize:
            raise SimtError("memref.view at byte %d of %s" % (shift, dtype))
        return MemRef(ref.buffers, (ref.offset * ref.dtype.itemsize + shift)
                      // dtype.itemsize, sizes, identity_strides(sizes),
                      dtype)

    def op_cf_assert(self, op, mask):
        # Host code's run-time checks (norm-check-operand-sizes).
        cond = np.broadcast_to(np.asarray(self.get(op.operands[0])),
                               mask.shape)
        if not np.all(cond[mask]):
            raise SimtError("check failed: %s" % op.attr("msg"))

    def op_memref_dim(self, op, mask):
        ref = self.get(op.operands[0])
        return np.int64(ref.sizes[self._uniform(self.get(op.operands[1]))])

    def op_gpu_dynamic_shared_memory(self, op, mask):
        if not self.dynamic_shared:
            raise SimtError("gpu.dynamic_shared_memory without dynamic shared "
                            "memory in the launch")
        size = self.dynamic_shared[0].data.size
        return MemRef(self.dynamic_shared, 0, [size], [1], np.dtype(np.int8))

    # -- cp.async -----------------------------------------------------------

    def op_nvgpu_device_async_copy(self, op, mask):
        seg = array_attr(op.attr("operandSegmentSizes"))
        dst = self.get(op.operands[0])
        dst_idx = self._indices(op, 1, seg[1])
        src = self.get(op.operands[1 + seg[1]])
        src_idx = self._indices(op, 2 + seg[1], seg[3])
        count = int_attr(op.attr("dstElements"))
        # The source is read when the copy is issued, only its first
        # srcElements elements (the rest of the destination is zeroed).
        valid = self.per_thread(self.get(op.operands[-1]) if seg[4] else
                                count, np.int64)
        if ((valid < 0) | (valid > count)).any():
            raise SimtError("cp.async of %d elements with srcElements out of "
                            "range" % count)
        data = np.zeros((self.n, count), src.dtype)
        for k in np.unique(valid[mask]):
            if k:
                lanes = mask & (valid == k)
                data[lanes, :k] = self.load(src, src_idx, lanes, int(k),
                                            True)[lanes]
        copy = {"dst": dst, "idx": [self.per_thread(i, np.int64)
                                    for i in dst_idx],
                "data": data, "pending": mask.copy(),
                "group": np.full(self.n, -1, np.int64)}
        self._mark_pending(copy, mask, +1)
        self.copies.append(copy)
        return np.zeros(self.n, np.int64)  # token

    def _mark_pending(self, copy, lanes, delta):
        ref, count = copy["dst"], copy["data"].shape[1]
        found, elems = self._addresses(ref, copy["idx"], lanes, count)
        for buf, rows in self._buffer_rows(ref, found):
            gran = granules(elems[rows] * ref.dtype.itemsize,
                            ref.dtype.itemsize).reshape(-1)
            if buf.pending is None:
                buf.pending = np.zeros(buf.data.size // GRANULE, np.int64)
            np.add.at(buf.pending, gran, delta)

    def op_nvgpu_device_async_create_group(self, op, mask):
        for c in self.copies:
            take = mask & c["pending"] & (c["group"] < 0)
            c["group"][take] = self.groups[take]
        self.groups[mask] += 1
        return np.zeros(self.n, np.int64)

    def op_nvgpu_device_async_wait(self, op, mask):
        keep = op.attr("numGroups")
        keep = int_attr(keep) if keep else 0
        for c in self.copies:
            due = mask & c["pending"] & (c["group"] >= 0) & (
                c["group"] < self.groups - keep)
            if due.any():
                self._mark_pending(c, due, -1)
                self.store(c["dst"], c["idx"], due, c["data"])
                c["pending"] &= ~due
        self.copies = [c for c in self.copies if c["pending"].any()]


def granules(byte0, size):
    """The race-tracking granules of elements of `size` bytes at byte0."""
    return (byte0[..., None] + np.arange(0, size, GRANULE)) // GRANULE


def parse_reassociation(text):
    groups = re.findall(r"\[([^\[\]]*)\]", text)
    return [[int_attr(v) for v in g.split(",") if v.strip()] for g in groups]
