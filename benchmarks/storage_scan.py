"""Import Images on S3 (moto's local server): bytes downloaded and time of a scan.

    .venv/bin/python benchmarks/storage_scan.py [N] [--side PIXELS]

Puts N (default 200) photo-sized JPEGs (default 1600 px wide, noisy, so a few
hundred KB each) in a bucket of moto's ThreadedMotoServer, then prints for the
widget's scan (headers only) and for downloading every object whole: seconds,
and bytes fetched from the server. Needs s3fs and moto[server].
"""
from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402


def photo(side: int, seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 255, (side * 3 // 4, side, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "JPEG", quality=85)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, nargs="?", default=200)
    parser.add_argument("--side", type=int, default=1600)
    args = parser.parse_args()

    import logging
    from moto.server import ThreadedMotoServer
    logging.getLogger("werkzeug").setLevel(logging.ERROR)     # no line per request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    os.environ.update(AWS_ENDPOINT_URL_S3=f"http://{host}:{port}", AWS_ACCESS_KEY_ID="bench",
                      AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1",
                      IMGFLOW_CONFIG_DIR=tempfile.mkdtemp(prefix="imgflow-bench-config-"))
    import s3fs
    from s3fs.core import S3File

    from imgflow import trusted_servers
    from imgflow.api import Context
    from imgflow.widgets.import_images import ImportImages

    fs = s3fs.S3FileSystem()
    fs.mkdir("bench")
    data = [photo(args.side, i) for i in range(8)]
    for i in range(args.n):
        fs.pipe(f"bench/photos/kind-{i % 4}/img-{i:05d}.jpg", data[i % len(data)])
    total = sum(len(data[i % len(data)]) for i in range(args.n))
    trusted_servers.add("s3://bench")

    fetched = []
    original = S3File._fetch_range

    def counting(self, start, end):
        out = original(self, start, end)
        fetched.append(len(out))
        return out
    S3File._fetch_range = counting

    start = time.perf_counter()
    table = ImportImages().compute({}, {"directory": "s3://bench/photos", "recursive": True,
                                        "recent": []}, Context()).outputs["Data"]
    scan_s = time.perf_counter() - start
    scan_bytes = sum(fetched)
    assert len(table) == args.n

    fs.invalidate_cache()
    start = time.perf_counter()
    whole = sum(len(fs.cat_file(f"bench/photos/kind-{i % 4}/img-{i:05d}.jpg"))
                for i in range(args.n))
    whole_s = time.perf_counter() - start
    server.stop()

    print(f"{args.n} objects, {total / 1e6:.1f} MB in all ({total / args.n / 1e3:.0f} KB each)")
    print(f"scan (headers only): {scan_s:.2f} s, {scan_bytes / 1e6:.2f} MB fetched "
          f"({scan_bytes / total:.1%} of the bytes)")
    print(f"whole objects, one by one: {whole_s:.2f} s, {whole / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
