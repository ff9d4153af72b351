"""``RemoteMonitor``: POST the epoch logs to a server, with the standard library's ``urllib``."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
import warnings
from typing import Any

import numpy as np

from .callback import Callback

_TIMEOUT_S = 10.0


class RemoteMonitor(Callback):
    """Send the logs of every epoch to ``root + path`` as an HTTP POST (``keras.callbacks.RemoteMonitor``).

    The payload is the one Keras sends: a dict with ``"epoch"`` (0-based) and every log value (NumPy
    scalars unwrapped). With ``send_as_json=False`` it is a form (``application/x-www-form-urlencoded``)
    whose ``field`` holds the JSON string; with ``send_as_json=True`` the body is the JSON itself
    (``application/json``, and NaN/Inf values, which are not JSON, make the send fail as in Keras).
    An unreachable server gives a warning, never an error; HTTP error statuses are ignored (as with
    ``requests``, which does not raise for them).

    Deliberate differences from Keras 3: it needs no ``requests`` (``urllib`` from the standard library
    sends the same request), and each request gives up after 10 seconds instead of waiting forever.

    Args:
        root: Root URL of the server.
        path: Path, relative to ``root``, the events are sent to.
        field: Form field holding the JSON data (only with ``send_as_json=False``).
        headers: Extra HTTP headers (a dict), or ``None``.
        send_as_json: Send the body as ``application/json`` instead of a form.
    """

    def __init__(
        self,
        root: str = "http://localhost:9000",
        path: str = "/publish/epoch/end/",
        field: str = "data",
        headers: dict | None = None,
        send_as_json: bool = False,
    ):
        super().__init__()
        self.root = root
        self.path = path
        self.field = field
        self.headers = headers
        self.send_as_json = send_as_json

    def _payload(self, epoch: int, logs: dict | None) -> dict:
        send: dict[str, Any] = {"epoch": epoch}
        for k, v in (logs or {}).items():
            send[k] = v.item() if isinstance(v, (np.ndarray, np.generic)) else v
        return send

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        send = self._payload(epoch, logs)
        headers = dict(self.headers or {})
        try:
            if self.send_as_json:
                body = json.dumps(send, allow_nan=False).encode("utf-8")
                headers.setdefault("Content-Type", "application/json")
            else:
                body = urllib.parse.urlencode({self.field: json.dumps(send)}).encode("utf-8")
                headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
            request = urllib.request.Request(self.root + self.path, data=body, headers=headers, method="POST")
            with urllib.request.urlopen(request, timeout=_TIMEOUT_S) as response:
                response.read()
        except urllib.error.HTTPError:
            pass  # the server answered: nothing to report (requests does not raise for a status either)
        except (urllib.error.URLError, OSError, ValueError):
            warnings.warn(f"Could not reach RemoteMonitor root server at {self.root}", stacklevel=2)
