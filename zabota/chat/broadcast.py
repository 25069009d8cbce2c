"""Websocket frames sent to channel-layer groups after the database commit.

Groups: ``chat.c.<conversation>`` (both sides of one chat), ``chat.q.<store>`` (queue changes
for the store's agents), ``chat.u.<user>`` (one agent's sockets), ``chat.v.<visitor>`` (one
visitor's sockets). A frame is sent only once its rows are committed, so a client that reacts
with a ``sync`` finds them.

Actions run either in a request (sync: the frame is sent with ``async_to_sync`` at commit) or
inside a consumer (``collected``: the frames are handed back to the consumer, which awaits the
sends on its own event loop instead of blocking a database thread on them).
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

# The consumer-facing message type: handled by ``chat_frame`` of both consumers.
FRAME = "chat.frame"

type Frame = dict[str, Any]
type Outgoing = tuple[str, Frame]

_collector: ContextVar[list[Outgoing] | None] = ContextVar("zabota_chat_frames", default=None)


def conversation_group(conversation_id: int) -> str:
    return f"chat.c.{conversation_id}"


def queue_group(store_id: int) -> str:
    return f"chat.q.{store_id}"


def user_group(user_id: int) -> str:
    return f"chat.u.{user_id}"


def visitor_group(visitor_id: int) -> str:
    return f"chat.v.{visitor_id}"


def layer_message(frame: dict[str, Any]) -> dict[str, Any]:
    return {"type": FRAME, "frame": frame}


def send_on_commit(group: str, frame: Frame | Callable[[], Frame]) -> None:
    """Send ``frame`` to ``group`` once the current transaction commits (now, outside one). A
    callable frame is built at the commit (e.g. to count rows other transactions committed)."""
    pending = _collector.get()

    def deliver() -> None:
        built = frame() if callable(frame) else frame
        if pending is not None:
            # Collected at commit time, not before: a rolled back action sends nothing.
            pending.append((group, built))
        else:
            send_now(group, built)

    transaction.on_commit(deliver)


def send_now(group: str, frame: Frame) -> None:
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(group, layer_message(frame))


def run_collected[**P, R](
    fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs
) -> tuple[R, list[Outgoing]]:
    """Run a sync action and return its result with the frames it committed, unsent."""
    with collected() as frames:
        result = fn(*args, **kwargs)
    return result, frames


@contextmanager
def collected() -> Iterator[list[Outgoing]]:
    frames: list[Outgoing] = []
    token = _collector.set(frames)
    try:
        yield frames
    finally:
        _collector.reset(token)
