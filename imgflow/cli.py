"""The command line: ``imgflow [FILE]``, ``imgflow run``, ``imgflow serve``, ``imgflow servers``,
``imgflow widgets``, ``imgflow help WIDGET``, ``imgflow examples``.

Heavy modules (Qt, torch, the server) are imported only by the command that
needs them, so ``imgflow run`` and ``--help`` start fast.
"""
from __future__ import annotations

import argparse
import difflib
import logging
import os
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
                     metavar='"NODE TITLE:Output name=out.csv"',
                     help="write an output to a file: .csv, .parquet (needs pyarrow) or .npy "
                          "(numeric columns)")
    run.add_argument("--timeout", type=float, default=None, help="give up after this many seconds")

    # `imgflow serve ...` is handed whole to the server's own parser (see main).
    sub.add_parser("serve", help="run an embedding server (imgflow serve --help)", add_help=False)

    servers = sub.add_parser(
        "servers", help="the embedding servers, Dask schedulers and storage buckets you trust",
        description="Embedding servers you trust. A workflow may name a server, but your "
                    "images go only to servers listed here (or named by you with --set). "
                    "Dask schedulers (tcp://host:8786) are trusted the same way before imgflow "
                    "sends them your image paths, and object-storage buckets (s3://bucket) "
                    "before imgflow reads them with your cloud credentials.")
    action = servers.add_subparsers(dest="action", metavar="add|list|remove")
    action.required = True
    add = action.add_parser("add", help="trust a server (again); with --token-file, store its token")
    add.add_argument("url", help="the server's address, e.g. http://gpu-box:8750, a Dask "
                                 "scheduler's, e.g. tcp://10.0.0.5:8786, or a bucket, "
                                 "e.g. s3://my-bucket")
    add.add_argument("--token-file", metavar="FILE",
                     help="read the server's access token from FILE, once, into your settings")
    action.add_parser("list", help="the servers you trust (tokens are never shown)")
    remove = action.add_parser("remove", help="stop trusting a server and forget its token")
    remove.add_argument("url")

    sub.add_parser("widgets", help="list the installed widgets: title, id, inputs, outputs",
                   description="Every installed widget with its id, inputs and outputs.")
    helps = sub.add_parser("help", help="a widget's help page (imgflow help WIDGET)",
                           description="Print a widget's help page: what it is for, its "
                                       "inputs, outputs and settings.")
    helps.add_argument("widget", nargs="*", help="the widget's title or id, e.g. Distances")
    examples = sub.add_parser("examples", help="list the bundled example workflows, or copy them",
                              description="The example workflows that come with imgflow.")
    examples.add_argument("--copy", metavar="DIR",
                          help="copy the examples with their images into DIR")

    gui = sub.add_parser("open", help="open the canvas (the default command)")
    gui.add_argument("file", nargs="?")
    return parser


COMMANDS = ("run", "serve", "servers", "open", "widgets", "help", "examples")


def _looks_like_file(arg: str) -> bool:
    return os.path.exists(arg) or arg.endswith(".imgflow") or "/" in arg or os.sep in arg


def main(argv: list[str] | None = None, registry=None) -> int:
    """Entry point; ``registry`` replaces the installed widgets (for tests)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    # `imgflow FILE` opens the canvas with that file; a word that is neither is a mistake.
    if argv and not argv[0].startswith("-") and argv[0] not in COMMANDS:
        if not _looks_like_file(argv[0]):
            close = difflib.get_close_matches(argv[0], COMMANDS, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            return _fail(f"'{argv[0]}' is neither a command nor a workflow file ({hint}"
                         f"commands: {', '.join(COMMANDS)}; imgflow --help)")
        argv = ["open", *argv]
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if argv and argv[0] == "serve":
        return _serve(argv[1:])
    args = build_parser().parse_args(argv)
    if args.command == "run":
        return _run(args, registry)
    if args.command == "servers":
        return _servers(args)
    if args.command in ("widgets", "help", "examples"):
        from . import cli_help
        return _printing(lambda: cli_help.COMMANDS[args.command](args, registry))
    return _open_gui(getattr(args, "file", None))


def _printing(command) -> int:
    """Run a command that prints; a reader that stops early (`imgflow widgets | head`) ends it quietly."""
    try:
        code = command()
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        # Python would complain again while flushing at exit: point stdout at nothing
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


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


def _servers(args) -> int:
    from . import trusted_servers
    from .user_settings import UserSettingsError, settings_path
    try:
        if args.action == "list":
            listed = trusted_servers.trusted_servers()
            for server in listed:
                print(f"{server.url}  ({server.token_state})")
            if not listed:
                print(f"No trusted embedding servers (settings: {settings_path()}).",
                      file=sys.stderr)
        elif args.action == "add":
            token = _read_token_file(args.token_file) if args.token_file else None
            server = trusted_servers.add(args.url, token)
            print(f"trusted {server.url} ({server.token_state})", file=sys.stderr)
        elif not trusted_servers.remove(args.url):
            return _fail(f"{trusted_servers.location(args.url)} is not one of your trusted servers")
        else:
            print(f"removed {trusted_servers.location(args.url)}", file=sys.stderr)
    except (UserSettingsError, ValueError) as exc:
        return _fail(str(exc))
    return 0


def _read_token_file(path: str) -> str:
    """The one token in a file the user named (read now, stored in their settings)."""
    try:
        with open(path, encoding="utf-8") as f:
            token = f.read(65536).strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read the token file {path}: "
                         f"{getattr(exc, 'strerror', None) or exc}") from None
    if not token or any(c.isspace() for c in token):
        raise ValueError(f"the token file {path} must hold one token (no spaces); "
                         f"it is empty or has several words")
    return token


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
