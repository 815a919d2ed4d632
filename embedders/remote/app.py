"""The Starlette application of the embedding server (endpoints under /v1).

``build_app(models, settings)`` takes already loaded models (objects with
``.info`` and ``.embed``), so it can be served by uvicorn or tested in-process.
See docs/remote.md for the protocol.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import time
from dataclasses import dataclass

import numpy as np
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from imgflow.embedders.models import is_timm
from imgflow.embedders.remote import PROTOCOL_VERSION
from imgflow.embedders.remote import wire
from imgflow.embedders.remote.batcher import Batcher

log = logging.getLogger("imgflow.embedders.remote.server")


@dataclass(frozen=True)
class Settings:
    token: str | None = None
    max_images: int = 64             # images per request
    max_body_bytes: int = 64 << 20   # request body
    max_concurrent: int = 32         # embed requests in progress at once
    read_timeout: float = 30.0       # seconds the body may pause between reads
    body_timeout: float = 120.0      # seconds for the whole request body
    retry_after: int = 1             # seconds, sent with 503
    max_batch: int | None = None     # images per model call (None: model.batch_size)
    batch_wait: float = 0.005        # seconds to wait for a fuller batch


class HTTPError(Exception):
    def __init__(self, status: int, code: str, message: str,
                 headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}

    def response(self) -> JSONResponse:
        return JSONResponse({"error": {"code": self.code, "message": self.message}},
                            status_code=self.status, headers=self.headers)


def _model_entry(model) -> dict:
    info = model.info
    entry = {"id": info.id, "name": info.name, "width": int(info.width),
             "input_size": [int(info.input_size[0]), int(info.input_size[1])],
             "version": str(info.version)}
    if is_timm(info.id):
        # clients know the listed models; a timm model's fitting comes from the server
        entry["preprocess"] = wire.preprocess_entry(info)
    return entry


class EmbedService:
    def __init__(self, models: dict, settings: Settings):
        self.models = models
        self.settings = settings
        self.batchers = {
            mid: Batcher(m, max_wait=settings.batch_wait,
                         max_batch=settings.max_batch or getattr(m, "batch_size", 64))
            for mid, m in models.items()}
        self.in_flight = 0
        self.served = 0

    # -- checks ------------------------------------------------------------

    def check_auth(self, request: Request) -> None:
        token = self.settings.token
        if token is None:
            return
        auth = request.headers.get("authorization", "")
        scheme, _, given = auth.partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            raise HTTPError(401, "token_required",
                            "this server requires an access token "
                            "(Authorization: Bearer <token>)",
                            {"WWW-Authenticate": "Bearer"})
        if not hmac.compare_digest(given.strip().encode(), token.encode()):
            raise HTTPError(401, "token_invalid", "the access token is not valid",
                            {"WWW-Authenticate": 'Bearer error="invalid_token"'})

    async def read_body(self, request: Request) -> bytes:
        limit = self.settings.max_body_bytes
        too_big = HTTPError(413, "body_too_large",
                            f"request body exceeds the server's limit of "
                            f"{limit} bytes; send fewer images per request")
        declared = request.headers.get("content-length")
        if declared is not None:
            try:
                if int(declared) > limit:
                    raise too_big
            except ValueError:
                raise HTTPError(400, "bad_request", "invalid Content-Length") from None
        chunks, size = [], 0
        async for chunk in self._timed_stream(request):
            size += len(chunk)
            if size > limit:
                raise too_big
            chunks.append(chunk)
        return b"".join(chunks)

    async def _timed_stream(self, request: Request):
        """request.stream(), with a deadline per read and for the whole body.

        A client that sends its body slowly holds only its own connection: a
        body that pauses longer than read_timeout, or takes longer than
        body_timeout in all, is answered 408 and its connection closed.
        """
        s = self.settings
        loop = asyncio.get_running_loop()
        end = loop.time() + s.body_timeout
        stream = request.stream().__aiter__()
        while True:
            left = end - loop.time()
            wait = min(s.read_timeout, left)
            try:
                if wait <= 0:
                    raise asyncio.TimeoutError
                chunk = await asyncio.wait_for(stream.__anext__(), wait)
            except StopAsyncIteration:
                return
            except asyncio.TimeoutError:
                whole = wait < s.read_timeout
                raise HTTPError(
                    408, "body_timeout" if whole else "read_timeout",
                    f"the request body did not arrive within {s.body_timeout:g} s"
                    if whole else f"the request body paused for more than "
                    f"{s.read_timeout:g} s", {"Connection": "close"}) from None
            yield chunk

    def decode(self, body: bytes, size: tuple[int, int]):
        """Parse a request body; return (images (n,H,W,3), ok indices, errors)."""
        try:
            header, payload = wire.unpack_frame(body)
            encoding, lengths = wire.parse_images_header(header, len(payload))
        except wire.WireError as exc:
            raise HTTPError(400, "bad_request", str(exc)) from None
        if len(lengths) > self.settings.max_images:
            raise HTTPError(413, "too_many_images",
                            f"{len(lengths)} images in one request; this server "
                            f"takes at most {self.settings.max_images}")
        arrays, ok, errors = [], [], {}
        for i, blob in enumerate(wire.split_payload(payload, lengths)):
            try:
                arrays.append(wire.decode_image(blob, encoding, size))
                ok.append(i)
            except wire.WrongImageSize as exc:
                raise HTTPError(422, "wrong_image_size", f"image {i}: {exc}") from None
            except ValueError as exc:
                errors[i] = str(exc)
        h, w = size
        images = np.stack(arrays) if arrays else np.zeros((0, h, w, 3), np.uint8)
        return len(lengths), images, ok, errors

    # -- endpoints ---------------------------------------------------------

    async def health(self, request: Request) -> Response:
        return JSONResponse({
            "status": "ok", "protocol": PROTOCOL_VERSION,
            "models": sorted(self.models), "in_flight": self.in_flight,
            "queued_images": sum(b.queued for b in self.batchers.values()),
            "served_requests": self.served,
            "model_batches": sum(b.batches for b in self.batchers.values()),
            "embedded_images": sum(b.images for b in self.batchers.values())})

    async def list_models(self, request: Request) -> Response:
        self.check_auth(request)
        s = self.settings
        return JSONResponse({
            "protocol": PROTOCOL_VERSION,
            "models": [_model_entry(m) for m in self.models.values()],
            "limits": {"max_images": s.max_images, "max_body_bytes": s.max_body_bytes,
                       "max_concurrent": s.max_concurrent,
                       "encodings": list(wire.ENCODINGS)}})

    async def embed(self, request: Request) -> Response:
        self.check_auth(request)
        model_id = request.path_params["model_id"]
        model = self.models.get(model_id)
        if model is None:
            raise HTTPError(404, "model_not_offered",
                            f"model {model_id!r} is not offered by this server; "
                            f"it offers: {', '.join(sorted(self.models))}")
        ctype = request.headers.get("content-type", "").split(";")[0].strip()
        if ctype != wire.IMAGES_TYPE:
            raise HTTPError(415, "unsupported_media_type",
                            f"send images as {wire.IMAGES_TYPE}")
        # a request counts as in progress only once its body has arrived, so
        # clients that send slowly cannot take every place
        body = await self.read_body(request)
        if self.in_flight >= self.settings.max_concurrent:
            raise HTTPError(503, "busy",
                            f"server is busy ({self.in_flight} requests in "
                            f"progress); retry later",
                            {"Retry-After": str(self.settings.retry_after)})
        self.in_flight += 1
        try:
            n, images, ok, errors = await asyncio.to_thread(
                self.decode, body, tuple(model.info.input_size))
            request.state.n_images = n
            vectors = await self.batchers[model_id].embed(images)
        finally:
            self.in_flight -= 1
        out = np.full((n, model.info.width), np.nan, np.float32)
        out[ok] = vectors
        self.served += 1
        return Response(
            wire.encode_embeddings(out, errors, model=model_id,
                                   version=str(model.info.version)),
            media_type=wire.EMBEDDINGS_TYPE)


def _endpoint(method):
    async def endpoint(request: Request) -> Response:
        try:
            return await method(request)
        except HTTPError as exc:
            request.state.error = exc.code
            return exc.response()
        except ClientDisconnect:
            request.state.error = "client_disconnected"
            return Response(status_code=400)
        except Exception as exc:  # noqa: BLE001 -- say what failed, keep serving
            log.exception("request failed")
            request.state.error = "internal"
            return HTTPError(500, "internal_error", f"embedding failed: {exc}").response()
    return endpoint


class RequestLog:
    """ASGI middleware: one log line per request (never any image data)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        state = scope.setdefault("state", {})
        status = [0]
        t0 = time.perf_counter()

        async def send_status(message):
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            client = scope.get("client") or ("-", 0)
            log.info("%s %s %s %d images=%s %s%.1fms", client[0], scope["method"],
                     scope["path"], status[0], state.get("n_images", "-"),
                     f"error={state['error']} " if "error" in state else "",
                     1000 * (time.perf_counter() - t0))


def build_app(models: dict, settings: Settings | None = None) -> Starlette:
    """An ASGI app serving ``models`` ({id: loaded model})."""
    service = EmbedService(models, settings or Settings())

    @contextlib.asynccontextmanager
    async def lifespan(app):
        for b in service.batchers.values():
            b.start()
        try:
            yield
        finally:
            for b in service.batchers.values():
                await b.stop()

    routes = [
        Route("/v1/health", _endpoint(service.health), methods=["GET"]),
        Route("/v1/models", _endpoint(service.list_models), methods=["GET"]),
        Route("/v1/models/{model_id}/embed", _endpoint(service.embed),
              methods=["POST"]),
    ]
    app = Starlette(routes=routes, lifespan=lifespan,
                    middleware=[Middleware(RequestLog)])
    app.state.service = service
    return app
