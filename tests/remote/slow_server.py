"""Run the embedding server with a model that takes --delay seconds per batch.

A test launcher only: ``python tests/remote/slow_server.py --delay 0.5
--model squeezenet --port 0 ...``.  Slow batches let tests hold requests in
flight (to fill the concurrency limit, or to send SIGTERM mid-request).
"""
import sys
import time

import imgflow.embedders.models
from imgflow.embedders.remote import server


def main(argv):
    delay = 0.5
    if argv[:1] == ["--delay"]:
        delay, argv = float(argv[1]), argv[2:]
    real_load = imgflow.embedders.models.load_model

    class Slow:
        def __init__(self, model):
            self.model, self.info = model, model.info
            self.batch_size = getattr(model, "batch_size", 16)
            self.device = getattr(model, "device", "cpu")

        def embed(self, batch):
            time.sleep(delay)
            return self.model.embed(batch)

    imgflow.embedders.models.load_model = lambda *a, **k: Slow(real_load(*a, **k))
    return server.main(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
