"""The command line: ``imgflow [FILE]``, ``imgflow run``, ``imgflow serve``.

Heavy modules (Qt, torch, the server) are imported only by the command that
needs them, so ``imgflow run`` and ``--help`` start fast.
"""
from __future__ import annotations

import argparse
import logging
import sys

from . import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="imgflow", description="Image analytics by visual programming.",
        epilog="Without a command, opens the canvas (with FILE, if given).")
    parser.add_argument("--version", action="version", version=f"imgflow {__version__}")
    sub = parser.add_subparsers(dest="command")

    run = sub.add_parser("run", help="run a workflow headless and export its outputs",
                         description="Run a workflow without a screen.")
    run.add_argument("file", help="a .imgflow workflow file")
    run.add_argument("--set", dest="overrides", action="append", default=[],
                     metavar='"NODE TITLE.setting=value"', help="change a setting before running")
    run.add_argument("--export", dest="exports", action="append", default=[],
                     metavar='"NODE TITLE:Output name=out.csv"', help="write an output as CSV")
    run.add_argument("--timeout", type=float, default=None, help="give up after this many seconds")

    # `imgflow serve ...` is handed whole to the server's own parser (see main).
    sub.add_parser("serve", help="run an embedding server (imgflow serve --help)", add_help=False)

    gui = sub.add_parser("open", help="open the canvas (the default command)")
    gui.add_argument("file", nargs="?")
    return parser


def main(argv: list[str] | None = None, registry=None) -> int:
    """Entry point; ``registry`` replaces the installed widgets (for tests)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    # `imgflow FILE` opens the canvas with that file.
    if argv and not argv[0].startswith("-") and argv[0] not in ("run", "serve", "open"):
        argv = ["open", *argv]
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if argv and argv[0] == "serve":
        return _serve(argv[1:])
    args = build_parser().parse_args(argv)
    if args.command == "run":
        return _run(args, registry)
    return _open_gui(getattr(args, "file", None))


def _fail(message: str) -> int:
    print(f"imgflow: error: {message}", file=sys.stderr)
    return 1


def _run(args, registry) -> int:
    from .headless import Export, RunError, SettingOverride, run_workflow
    from .registry import Registry
    from .workflow import WorkflowFileError
    try:
        overrides = [SettingOverride.parse(s) for s in args.overrides]
        exports = [Export.parse(s) for s in args.exports]
        registry = registry or Registry.discover()
        for problem in registry.errors:
            print(f"imgflow: warning: {problem}", file=sys.stderr)
        run_workflow(args.file, registry, overrides, exports, timeout=args.timeout)
    except (RunError, WorkflowFileError) as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        return _fail("interrupted")
    for export in exports:
        print(f"wrote {export.path}", file=sys.stderr)
    return 0


def _serve(argv: list[str]) -> int:
    try:
        from imgflow.embedders.remote.server import main as serve_main
    except ImportError as exc:
        return _fail(f"the embedding server needs the 'server' extra "
                     f"(pip install 'imgflow[server]'): {exc}")
    return serve_main(argv, prog="imgflow serve")


def _open_gui(path: str | None) -> int:
    try:
        from .gui.app import run_app
    except ImportError as exc:
        return _fail(f"the canvas cannot start: {exc}")
    return run_app(path)


if __name__ == "__main__":
    sys.exit(main())
