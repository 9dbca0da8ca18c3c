"""Generate the protobuf modules in worker/quickfunc/protos/ from protos/*.proto, each with its
``.pyi`` type stubs.

Usage: python scripts/gen_protos.py [--out DIR]
Only message modules are generated: the worker calls the one gRPC method by its path, so no
generated gRPC stubs (and no grpcio version pin) are needed. The committed modules come from
grpcio-tools 1.62 (protobuf 4.25 gencode, which checks no runtime version), so apps may pin any
protobuf from 4.21.6 to 7.x; newer generators write gencode that refuses older runtimes, so
writing into the package needs that generator (tests compare descriptors, with any generator).
"""

from __future__ import annotations

import argparse
import pathlib
import shutil
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
PROTO_DIR = ROOT / "protos"
DEFAULT_OUT = ROOT / "worker" / "quickfunc" / "protos"
COMMITTED_GENERATOR = "1.62."


def generate(out_dir: pathlib.Path) -> list[pathlib.Path]:
    """Run protoc over every .proto file; return the modules written."""
    import grpc_tools
    from grpc_tools import protoc

    include = pathlib.Path(grpc_tools.__file__).parent / "_proto"
    protos = sorted(PROTO_DIR.glob("*.proto"))
    if not protos:
        raise SystemExit(f"no .proto files in {PROTO_DIR}")
    out_dir.mkdir(parents=True, exist_ok=True)
    args = [
        "protoc",
        f"-I{PROTO_DIR}",
        f"-I{include}",
        f"--python_out={out_dir}",
        f"--plugin=protoc-gen-mypy={_stub_plugin()}",
        f"--mypy_out={out_dir}",
    ]
    args += [str(p) for p in protos]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    return [out_dir / (p.stem + "_pb2.py") for p in protos]


def _stub_plugin() -> str:
    """mypy-protobuf's protoc plugin, beside this Python or on PATH (protoc's own ``.pyi`` output
    declares enum values named ``int`` or ``in`` as names, which is not a valid stub)."""
    here = pathlib.Path(sys.executable).parent / "protoc-gen-mypy"
    found = str(here) if here.exists() else shutil.which("protoc-gen-mypy")
    if not found:
        raise SystemExit("protoc-gen-mypy not found: pip install mypy-protobuf (the test extra has it)")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=pathlib.Path, default=DEFAULT_OUT)
    ns = parser.parse_args(argv)
    if ns.out.resolve() == DEFAULT_OUT.resolve():
        from importlib.metadata import version

        tools = version("grpcio-tools")
        if not tools.startswith(COMMITTED_GENERATOR):
            print(
                f"refusing to write {DEFAULT_OUT.relative_to(ROOT)} with grpcio-tools {tools}: "
                f"the committed modules are made with grpcio-tools {COMMITTED_GENERATOR}.x "
                "(see this script's docstring); install it in a virtual environment, or "
                "pass --out",
                file=sys.stderr,
            )
            return 2
    for path in generate(ns.out):
        print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
