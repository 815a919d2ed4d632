"""``imgflow serve``: run embedding models behind an HTTP server.

The CLI (imgflow/cli.py) calls ``main(argv, prog="imgflow serve")``, or::

    from imgflow.embedders.remote.server import add_serve_arguments, serve_from_args
    add_serve_arguments(subparsers.add_parser("serve", help=...))
    ...
    return serve_from_args(args)        # exit status; prints EmbedderError

or calls :func:`serve` directly (it raises EmbedderError).  The module is also
runnable: ``python -m imgflow.embedders.remote.server --model squeezenet --port 0``.

Starlette and uvicorn (the ``server`` extra) are imported only when serving.
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
import signal
import socket
import sys
import threading

from imgflow.embedders.errors import EmbedderError
from imgflow.embedders.remote import DEFAULT_PORT

log = logging.getLogger("imgflow.embedders.remote.server")

READY_MESSAGE = "imgflow embedding server ready on"


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def read_token(path) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            token = f.read().strip()
    except OSError as exc:
        raise EmbedderError(f"Cannot read the token file {path}: {exc.strerror}") from None
    if not token or any(c.isspace() for c in token):
        raise EmbedderError(f"The token file {path} must hold one token "
                            f"(no spaces), and it is empty or has several words")
    if os.name == "posix" and os.stat(path).st_mode & 0o077:
        log.warning("token file %s can be read by other users; "
                    "consider chmod 600", path)
    return token


def _load_models(model_ids: list[str], device: str | None, weights: str | None = None) -> dict:
    """Load and warm up each model; ``weights`` is a state dict file for the one timm model."""
    from imgflow.embedders.models import MODELS, is_timm, load_model
    import numpy as np

    model_ids = list(dict.fromkeys(model_ids))
    if weights is not None and sum(map(is_timm, model_ids)) != 1:
        raise EmbedderError("--weights needs exactly one --model timm:NAME to load them into")
    models = {}
    for mid in model_ids:
        if mid not in MODELS and not is_timm(mid):
            raise EmbedderError(f"Unknown model {mid!r}; available models: "
                                f"{', '.join(MODELS)}, or timm:NAME for any model timm knows")
        try:
            model = load_model(mid, device=device, weights_path=weights if is_timm(mid) else None)
            h, w = model.info.input_size
            out = model.embed(np.zeros((1, h, w, 3), np.uint8))  # warm-up
        except EmbedderError:
            raise
        except Exception as exc:  # noqa: BLE001 -- any load failure ends serving
            raise EmbedderError(f"Cannot load model {mid!r}: {exc}") from exc
        if np.shape(out) != (1, model.info.width):
            raise EmbedderError(f"Model {mid!r} returned shape {np.shape(out)}")
        log.info("loaded %s (version %s, width %d, input %dx%d) on %s", mid,
                 model.info.version, model.info.width, h, w,
                 getattr(model, "device", "?"))
        models[mid] = model
    return models


def _bind(host: str, port: int) -> socket.socket:
    try:
        family, kind, proto, _, addr = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(addr)
    except OSError as exc:
        raise EmbedderError(f"Cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock


def _ignore_signal(signum, frame):
    pass


def _configure_logging(level: str) -> None:
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=level.upper(), stream=sys.stderr,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    log.setLevel(level.upper())


def serve(models: list[str], host: str = "127.0.0.1", port: int = DEFAULT_PORT,
          token_file=None, device: str | None = None, *, weights: str | None = None,
          max_images: int = 64,
          max_body_mb: float | None = None, max_concurrent: int = 32,
          batch_size: int | None = None, batch_wait_ms: float = 5.0, retry_after: int = 1,
          graceful_timeout: float = 30.0, log_level: str = "info",
          header_timeout: float = 10.0, read_timeout: float = 30.0,
          body_timeout: float = 120.0, max_connections_per_client: int = 64) -> None:
    """Serve ``models`` until SIGTERM/SIGINT; in-flight requests are finished.

    Raises EmbedderError (a message for the user) when a model cannot be
    loaded, the token file cannot be read or the address cannot be bound.
    """
    try:
        import uvicorn
        from imgflow.embedders.remote.app import Settings, build_app
        from imgflow.embedders.remote.guard import guarded_protocol
    except ImportError as exc:
        raise EmbedderError(
            f"imgflow serve needs Starlette and uvicorn ({exc.name} is missing): "
            f"pip install 'imgflow[server]'") from None
    _configure_logging(log_level)
    if not models:
        raise EmbedderError("Give at least one --model to serve")
    if min(max_images, max_concurrent, batch_size or 1, retry_after,
           max_connections_per_client) < 1:
        raise EmbedderError("--max-images, --max-concurrent, --batch-size, "
                            "--retry-after and --max-connections-per-client must "
                            "be at least 1")
    if min(header_timeout, read_timeout, body_timeout) <= 0:
        raise EmbedderError("--header-timeout, --read-timeout and --body-timeout "
                            "must be more than 0 seconds")
    token = read_token(token_file) if token_file else None
    if token is None and not is_loopback(host):
        log.warning("serving on %s without --token-file: anyone who can reach "
                    "this address can use the server", host)
    loaded = _load_models(models, device, weights)
    if max_body_mb is None:
        largest = max(h * w * 3 for h, w in
                      (m.info.input_size for m in loaded.values()))
        max_body = int(max_images * largest * 1.05) + (64 << 10)
    else:
        max_body = int(max_body_mb * (1 << 20))
    settings = Settings(token=token, max_images=max_images, max_body_bytes=max_body,
                        max_concurrent=max_concurrent, retry_after=retry_after,
                        max_batch=batch_size, batch_wait=batch_wait_ms / 1000,
                        read_timeout=read_timeout, body_timeout=body_timeout)
    sock = _bind(host, port)
    bound_port = sock.getsockname()[1]
    url_host = f"[{host}]" if ":" in host else host

    class Server(uvicorn.Server):
        async def startup(self, sockets=None):
            await super().startup(sockets=sockets)
            if self.started:
                log.info("%s http://%s:%d (models: %s; auth: %s)", READY_MESSAGE,
                         url_host, bound_port, ", ".join(loaded),
                         "token" if token else "none")

    config = uvicorn.Config(
        build_app(loaded, settings), log_config=None, log_level=log_level,
        access_log=False, timeout_graceful_shutdown=graceful_timeout,
        # unfinished headers are closed, and one client cannot hold more than
        # its share of connections (guard.py)
        http=guarded_protocol(header_timeout, max_connections_per_client),
        # a last safety net against floods from many clients (idle pooled
        # connections count too); the app's own limit (503 + Retry-After)
        # applies first
        limit_concurrency=max(1024, max_concurrent * 8), timeout_keep_alive=30)
    # uvicorn shuts down gracefully on SIGTERM/SIGINT and then raises the
    # signal again; a no-op handler meanwhile lets serve() return normally.
    quiet = {}
    if threading.current_thread() is threading.main_thread():
        quiet = {s: signal.signal(s, _ignore_signal) for s in (signal.SIGINT,
                                                              signal.SIGTERM)}
    try:
        Server(config).run(sockets=[sock])
    finally:
        sock.close()
        for s, handler in quiet.items():
            signal.signal(s, handler)
    log.info("server stopped")


def add_serve_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the ``imgflow serve`` options to ``parser``."""
    parser.add_argument("--model", dest="models", action="append", required=True,
                        metavar="ID", help="model to serve (repeat for several), "
                        "e.g. inception-v3, squeezenet, efficientnet-lite1, or timm:NAME "
                        "for any model timm knows")
    parser.add_argument("--weights", metavar="FILE",
                        help="a state dict (torch.save) for the timm:NAME model, instead "
                        "of timm's downloaded weights")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default: 127.0.0.1, this "
                        "machine only; 0.0.0.0 for all interfaces)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=f"port (default: {DEFAULT_PORT}; 0 picks a free one)")
    parser.add_argument("--token-file", metavar="PATH",
                        help="file holding the access token that clients must send")
    parser.add_argument("--device", help="torch device, e.g. cuda, cuda:1 or cpu "
                        "(default: the models' default)")
    group = parser.add_argument_group("limits and batching")
    group.add_argument("--max-images", type=int, default=64,
                       help="images per request (default: 64)")
    group.add_argument("--max-body-mb", type=float, default=None,
                       help="request body size in MiB (default: fits --max-images "
                       "uncompressed images)")
    group.add_argument("--max-concurrent", type=int, default=32,
                       help="requests in progress before answering 503 (default: 32)")
    group.add_argument("--batch-size", type=int, default=None,
                       help="images per model call (default: the model's, "
                       "64 on a GPU)")
    group.add_argument("--batch-wait-ms", type=float, default=5.0,
                       help="how long to wait to fill a batch (default: 5 ms)")
    group.add_argument("--retry-after", type=int, default=1,
                       help="seconds clients should wait when the server is busy")
    group.add_argument("--graceful-timeout", type=float, default=30.0,
                       help="seconds to finish in-flight requests on shutdown")
    group.add_argument("--header-timeout", type=float, default=10.0,
                       help="seconds a client may take to send a request's "
                       "headers before its connection is closed (default: 10)")
    group.add_argument("--read-timeout", type=float, default=30.0,
                       help="seconds a request body may pause before the "
                       "server answers 408 (default: 30)")
    group.add_argument("--body-timeout", type=float, default=120.0,
                       help="seconds for a whole request body before the "
                       "server answers 408 (default: 120)")
    group.add_argument("--max-connections-per-client", type=int, default=64,
                       help="open connections from one client address; more "
                       "are closed at once (default: 64)")
    group.add_argument("--log-level", default="info",
                       choices=["debug", "info", "warning", "error"])
    return parser


def serve_from_args(args: argparse.Namespace) -> int:
    """Run :func:`serve` with parsed options; return the exit status."""
    try:
        serve(args.models, host=args.host, port=args.port,
              token_file=args.token_file, device=args.device, weights=args.weights,
              max_images=args.max_images, max_body_mb=args.max_body_mb,
              max_concurrent=args.max_concurrent, batch_size=args.batch_size,
              batch_wait_ms=args.batch_wait_ms, retry_after=args.retry_after,
              graceful_timeout=args.graceful_timeout, log_level=args.log_level,
              header_timeout=args.header_timeout, read_timeout=args.read_timeout,
              body_timeout=args.body_timeout,
              max_connections_per_client=args.max_connections_per_client)
    except EmbedderError as exc:
        print(f"imgflow serve: error: {exc}", file=sys.stderr)
        return 2
    return 0


def main(argv=None, prog: str = "imgflow serve") -> int:
    """Parse ``argv`` (the options after ``imgflow serve``), serve; exit status."""
    parser = argparse.ArgumentParser(
        prog=prog, description="Serve image embedding models over HTTP.")
    return serve_from_args(add_serve_arguments(parser).parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
