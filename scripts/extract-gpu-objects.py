#!/usr/bin/env python3
"""Extracts the kernel objects that gpu-module-to-binary embedded in MLIR.

Reads MLIR (a file or stdin) and finds each `gpu.binary @name [...]`; the
object is the longest string literal of that op (MLIR-escaped). Writes the
objects of every binary to stdout (PTX text for format=isa), or, with
--output-dir, one file per binary: <name>.ptx for PTX, <name>.cubin else.

    norm-opt k.mlir --norm-lower-to-nvvm=format=isa \
      | scripts/extract-gpu-objects.py > k.ptx

With --ptxas PTXAS --arch sm_90a, assembles each PTX object with `ptxas -v`
instead and prints `<name>: <ptxas report>` (registers, spills), failing
when ptxas does.
"""

import subprocess
import tempfile

import argparse
import re
import sys
from pathlib import Path

_BINARY_RE = re.compile(r"gpu\.binary\s+@([\w$.-]+)")
_STRING_RE = re.compile(r'"((?:[^"\\]|\\.)*)"', re.S)


def unescape(text: str) -> bytes:
    """Inverts llvm::printEscapedString (\\\\, \\XX hex, and C escapes)."""
    out = bytearray()
    i = 0
    simple = {"n": b"\n", "t": b"\t", '"': b'"', "\\": b"\\"}
    while i < len(text):
        c = text[i]
        if c != "\\":
            out += c.encode()
            i += 1
            continue
        nxt = text[i + 1:i + 3]
        if len(nxt) == 2 and all(ch in "0123456789abcdefABCDEF" for ch in nxt):
            out.append(int(nxt, 16))
            i += 3
        elif text[i + 1:i + 2] in simple:
            out += simple[text[i + 1]]
            i += 2
        else:
            out += b"\\"
            i += 1
    return bytes(out)


def extract(mlir: str):
    """Yields (binary name, object bytes) for each gpu.binary of `mlir`."""
    matches = list(_BINARY_RE.finditer(mlir))
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(mlir)
        strings = _STRING_RE.findall(mlir, match.end(), end)
        if strings:
            yield match.group(1), unescape(max(strings, key=len))


def assemble(ptxas: str, arch: str, name: str, ptx: bytes) -> bool:
    """Runs `ptxas -v` on one PTX object; prints its report on one line."""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / f"{name}.ptx"
        src.write_bytes(ptx)
        proc = subprocess.run([ptxas, f"-arch={arch}", "-v", str(src), "-o",
                               str(Path(tmp) / f"{name}.cubin")],
                              capture_output=True, text=True)
    report = " ".join(line.split(":", 1)[-1].strip()
                      for line in (proc.stdout + proc.stderr).splitlines()
                      if line.strip())
    print(f"{name}: {report}")
    return proc.returncode == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("input", nargs="?", default="-")
    parser.add_argument("--output-dir", type=Path)
    parser.add_argument("--ptxas", help="assemble each PTX object with this")
    parser.add_argument("--arch", default="sm_90a", help="ptxas -arch")
    args = parser.parse_args()
    text = (sys.stdin.read() if args.input == "-"
            else Path(args.input).read_text())
    found = False
    for name, data in extract(text):
        found = True
        if args.ptxas:
            if not assemble(args.ptxas, args.arch, name, data):
                return 1
        elif args.output_dir:
            args.output_dir.mkdir(parents=True, exist_ok=True)
            suffix = ".ptx" if data.lstrip().startswith(b"//") else ".cubin"
            (args.output_dir / f"{name}{suffix}").write_bytes(data)
        else:
            sys.stdout.buffer.write(data)
    if not found:
        print("extract-gpu-objects: no gpu.binary found", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
