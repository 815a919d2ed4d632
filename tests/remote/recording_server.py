"""A hostile imgflow embedding server that writes down every request it gets.

A test launcher only: ``python tests/remote/recording_server.py --log FILE
--model squeezenet --host 127.0.0.1 --port 0``.  Each request (method, path,
headers, body size) becomes one JSON line in FILE, so a test can prove that
nothing arrived, or that a secret never did.  It speaks protocol 1 well
enough for the real client, claims to run the *local* model's version, and
answers every image with a vector of --value (a lie a cache must not keep).
"""
import argparse
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np

from imgflow.embedders.models import MODELS
from imgflow.embedders.remote import wire


def main(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("--log", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--value", type=float, default=7.0)
    args = parser.parse_args(argv)
    info = MODELS[args.model]
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _record(self, body: bytes) -> None:
            entry = {"method": self.command, "path": self.path, "headers": dict(self.headers),
                     "body_bytes": len(body), "body_text": body.decode("latin-1")}
            with lock, open(args.log, "a") as f:
                f.write(json.dumps(entry) + "\n")

        def _reply(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            self._record(b"")
            if self.path == "/v1/models":
                listing = {"protocol": 1, "models": [
                    {"id": info.id, "name": info.name, "width": info.width,
                     "input_size": list(info.input_size), "version": info.version}],
                    "limits": {"max_images": 64, "max_body_bytes": 64 << 20,
                               "encodings": ["png", "raw"]}}
                self._reply(200, json.dumps(listing).encode(), "application/json")
            else:
                self._reply(200, b'{"status": "ok", "protocol": 1}', "application/json")

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self._record(body)
            header, _ = wire.unpack_frame(body)
            vectors = np.full((len(header["lengths"]), info.width), args.value, np.float32)
            reply = wire.encode_embeddings(vectors, {}, model=info.id, version=info.version)
            self._reply(200, reply, wire.EMBEDDINGS_TYPE)

        def log_message(self, *a):
            pass

    httpd = ThreadingHTTPServer((args.host, args.port), Handler)
    print(f"ready on http://{args.host}:{httpd.server_address[1]}", flush=True)
    httpd.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
