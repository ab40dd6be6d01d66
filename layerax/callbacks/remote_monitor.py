"""`RemoteMonitor`: posts the epoch logs to an HTTP server."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
import warnings
from typing import Any

import numpy as np

from layerax.callbacks.callback import Callback


def _jsonable(value: Any) -> Any:
    if isinstance(value, (np.generic, np.ndarray)) or hasattr(value, "__array__"):
        array = np.asarray(value)
        return array.item() if array.ndim == 0 else array.tolist()
    return value


class RemoteMonitor(Callback):
    """Sends `{"epoch": epoch, **logs}` to `root + path` with an HTTP POST after every epoch.

    By default the payload is form-encoded under `field` as a JSON string (as
    Keras does); with `send_as_json=True` the body is the JSON object itself.
    A server that cannot be reached produces a warning; training never stops
    because of it. Uses only the standard library.

    Args:
        root: Server root URL.
        path: Path of the endpoint.
        field: Form field holding the JSON payload.
        headers: Extra HTTP headers.
        send_as_json: Send `application/json` instead of a form.
        timeout: Seconds to wait for the server.

    Example:
        >>> import layerax as lx
        >>> monitor = lx.callbacks.RemoteMonitor(root="http://127.0.0.1:9", timeout=0.1)
        >>> monitor.url
        'http://127.0.0.1:9/publish/epoch/end/'
    """

    def __init__(
        self,
        root: str = "http://localhost:9000",
        path: str = "/publish/epoch/end/",
        field: str = "data",
        headers: dict[str, str] | None = None,
        send_as_json: bool = False,
        timeout: float = 5.0,
    ) -> None:
        super().__init__()
        self.root = root
        self.path = path
        self.field = field
        self.headers = dict(headers or {})
        self.send_as_json = send_as_json
        self.timeout = timeout

    @property
    def url(self) -> str:
        """The address events are sent to: `root` joined with `path`.

        Example:
            >>> import layerax as lx
            >>> lx.callbacks.RemoteMonitor(root="http://localhost:9000", path="/publish/epoch/end/").url
            'http://localhost:9000/publish/epoch/end/'
        """
        return self.root.rstrip("/") + "/" + self.path.lstrip("/") if self.path else self.root

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        payload = {"epoch": epoch}
        payload.update({k: _jsonable(v) for k, v in (logs or {}).items()})
        headers = dict(self.headers)
        if self.send_as_json:
            body = json.dumps(payload).encode("utf-8")
            headers.setdefault("Content-Type", "application/json")
        else:
            body = urllib.parse.urlencode({self.field: json.dumps(payload)}).encode("utf-8")
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
        except (urllib.error.URLError, OSError, ValueError) as err:
            warnings.warn(
                f"Could not reach RemoteMonitor root server at {self.root} ({err}). Training "
                "continues.",
                RuntimeWarning,
                stacklevel=2,
            )
