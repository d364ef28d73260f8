"""A minimal client of Streamlit's own websocket protocol: what a browser tab sends and waits for,
without rendering anything.

On one small machine, 30 headless browsers spend the CPU on drawing pages, so they measure
themselves rather than the server (see docs/benchmarks.md). A student's browser runs on the
student's laptop; what the lab server sees of it is this conversation: a `rerun_script` message with
the page, the URL's query string and the widgets' values, answered by the page's elements and a
`script_finished`. Timing that round trip with many such clients at once measures what the server
can serve.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

FINISHED = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_SUCCESSFULLY")
WIDGET_VALUE_FIELDS = {  # element type -> the WidgetState field its value travels in
    "text_input": "string_value", "text_area": "string_value", "checkbox": "bool_value",
}


@dataclass
class Widget:
    id: str
    element_type: str
    number_is_int: bool = False


@dataclass
class StreamSession:
    """One connected session: send a run, wait for it to finish, collect its widgets and errors."""

    url: str
    page: str
    query: str = ""
    widgets: dict[str, Widget] = field(default_factory=dict)  # user key -> widget
    errors: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)  # the markdown and HTML the last run drew
    _socket: object = None

    async def __aenter__(self) -> "StreamSession":
        import websockets

        ws_url = self.url.replace("http://", "ws://", 1) + "/_stcore/stream"
        self._socket = await websockets.connect(ws_url, subprotocols=["streamlit"], max_size=2**27)
        return self

    async def __aexit__(self, *exc) -> None:
        await self._socket.close()

    async def run(self, states: list | None = None, timeout: float = 120) -> float:
        """Ask for a run (with `states`, a list of WidgetState protos) and return the seconds until
        the whole page finished. Fragment reruns (the progress panel refreshing) are not the end."""
        message = BackMsg()
        client = message.rerun_script
        client.query_string = self.query
        client.page_name = self.page
        client.widget_states.widgets.extend(states or [])
        self.texts = []
        start = time.perf_counter()
        await self._socket.send(message.SerializeToString())
        deadline = start + timeout
        while True:
            raw = await asyncio.wait_for(self._socket.recv(), timeout=max(0.1, deadline - time.perf_counter()))
            forward = ForwardMsg()
            forward.ParseFromString(raw)
            kind = forward.WhichOneof("type")
            if kind == "delta":
                self._read_delta(forward.delta)
            elif kind == "script_finished" and forward.script_finished == FINISHED:
                return time.perf_counter() - start

    async def drain(self) -> None:
        """Read and drop whatever the server sends (a tab left open on a page that refreshes)."""
        while True:
            await self._socket.recv()

    def _read_delta(self, delta) -> None:
        if delta.WhichOneof("type") != "new_element":
            return
        element = delta.new_element
        kind = element.WhichOneof("type")
        if kind in ("markdown", "html"):
            self.texts.append(getattr(element, kind).body)
        elif kind == "exception":
            self.errors.append(f"exception: {element.exception.message[:200]}")
        elif kind == "alert" and element.alert.format == element.alert.ERROR:
            self.errors.append(f"error box: {element.alert.body[:200]}")
        elif kind in WIDGET_VALUE_FIELDS or kind in ("number_input", "button"):
            widget_id = getattr(element, kind).id
            user_key = widget_id.split("-", maxsplit=2)[-1]  # "$$ID-<hash>-<key>", as Streamlit splits it
            self.widgets[user_key] = Widget(widget_id, kind, kind == "number_input" and
                                            element.number_input.data_type == element.number_input.INT)

    def state(self, key: str, value) -> WidgetState:
        """A WidgetState that sets the widget with user key `key` to `value` (a button: pressed)."""
        widget = self.widgets[key]
        state = WidgetState(id=widget.id)
        if widget.element_type == "button":
            state.trigger_value = True
        elif widget.element_type == "number_input":
            setattr(state, "int_value" if widget.number_is_int else "double_value", value)
        else:
            setattr(state, WIDGET_VALUE_FIELDS[widget.element_type], value)
        return state
