"""The websocket side of bench/chat.py: visitor and agent sockets in one asyncio process.

Every conversation has two senders, its visitor and its agent. A message is timed from the
moment its sender hands it to the socket until the *other* side's socket receives the
``message`` frame with the same ``client_id`` (both sockets live in this process, so one
monotonic clock times both ends). Each receiving socket remembers the ``client_id``s it has
seen: a second arrival is a duplicate; a message that was acknowledged but never reached the
other side by the end of the drain is lost.

The sockets behave like the widget and the agent UI (docs/chat.md): each keeps, per
conversation, the ``seq`` up to which it has every line; a line beyond a gap (a live frame the
channel layer dropped) makes it ``sync`` from there at once, and so does a conversation quiet
for a ping interval (25 s); a dropped socket reconnects, syncs
each conversation from that point and resends its unacknowledged messages with the same
``client_id``. So a drop costs latency, and the books show whether the server kept its promise
that nothing is lost or duplicated across it.

The client shares the machine with the server, so its own event-loop lag is measured too (a
probe that sleeps 50 ms and records how late it wakes): a latency figure is only as good as the
client's ability to notice the frame on time.
"""

import asyncio
import json
import os
import random
import time
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

# The widget pings every 25 s, the agent page every 30 s; each ping also syncs a quiet chat.
PING_SECONDS = 25.0
# Several hundred handshakes at once only measure the accept queue; browsers arrive spread out.
CONNECT_CONCURRENCY = 50


@dataclass
class Chat:
    """One accepted conversation as the bench prepared it."""

    conversation: int
    token: str  # the visitor's signed token
    agent: int  # the accepting agent's user id


@dataclass
class Sent:
    phase: str
    conversation: int
    at: float
    acked_at: float | None = None
    delivered_at: float | None = None


@dataclass
class Phase:
    """Figures of one phase, by the time each message was sent."""

    name: str
    started: float = 0.0
    ended: float = 0.0
    sent: int = 0
    drops: int = 0  # sockets the server closed during the phase
    latencies: list[float] = field(default_factory=list)  # seconds, send → other side
    ack_latencies: list[float] = field(default_factory=list)  # seconds, send → ack

    @property
    def seconds(self) -> float:
        return self.ended - self.started


@dataclass
class Outcome:
    phases: dict[str, Phase]
    connect_seconds: float
    sockets: int
    drops: int
    lost: int
    lost_to_agents: int
    lost_by_phase: dict[str, int]
    unacked: int
    duplicated: int
    out_of_order: int
    gap_syncs: int
    errors: list[str]
    loop_lag_p99_ms: float
    loop_lag_max_ms: float
    client_cpu_seconds: float
    sent_ids: list[str]


class Socket:
    """One visitor's or agent's socket, reconnecting and catching up like the real clients."""

    def __init__(
        self,
        load: "Load",
        name: str,
        side: str,
        url: str,
        conversations: list[int],
        headers: dict[str, str] | None = None,
    ):
        self.load = load
        self.name = name
        self.side = side
        self.url = url
        self.headers = headers
        self.ws: ClientConnection | None = None
        self.ready = False  # connected and caught up: new messages go out at once
        self.first_ready = asyncio.Event()
        # Per conversation: the seq up to which every line arrived, and the lines beyond a gap
        # (docs/chat.md: a client syncs from the last complete point, and at once on a gap).
        self.last_seq = dict.fromkeys(conversations, 0)
        self.ahead: dict[int, set[int]] = {conversation: set() for conversation in conversations}
        self.gap_syncing: set[int] = set()
        self.heard: set[int] = set()  # conversations with a line since the last ping
        self.synced: dict[int, asyncio.Event] = {}
        self.outbox: dict[str, str] = {}  # client_id → frame, until acknowledged
        self.seen: set[str] = set()

    async def run(self, gate: asyncio.Semaphore) -> None:
        """Connect, catch up, read; after a drop, the same again."""
        load = self.load
        while not load.closing:
            try:
                async with gate:
                    ws = await connect(
                        self.url,
                        origin=load.origin,  # type: ignore[arg-type]
                        additional_headers=self.headers,
                        proxy=None,  # loopback only, whatever the environment says
                        open_timeout=60,
                        ping_interval=None,
                        max_queue=None,
                    )
            except (OSError, TimeoutError, InvalidHandshake) as exc:
                load.errors.append(f"{self.name}: could not connect ({exc!r})")
                await asyncio.sleep(1)
                continue
            self.ws = ws
            resume = asyncio.create_task(self._resume(ws))
            catch_up = asyncio.create_task(self._catch_up())
            try:
                async for raw in ws:
                    self._on_frame(json.loads(raw), time.monotonic())
            except ConnectionClosed:
                pass
            self.ready = False
            self.ws = None
            self.gap_syncing.clear()
            resume.cancel()
            catch_up.cancel()
            if load.closing:
                return
            load.drops += 1
            if load.phase is not None:
                load.phase.drops += 1
            await asyncio.sleep(0.5 + random.random())

    async def _resume(self, ws: ClientConnection) -> None:
        """``sync`` each conversation from the last line seen, then resend the outbox."""
        try:
            for conversation, after in self.last_seq.items():
                event = self.synced[conversation] = asyncio.Event()
                frame: dict[str, Any] = {"type": "sync", "after": after}
                if self.side == "agent":
                    frame["conversation"] = conversation
                await ws.send(json.dumps(frame))
                try:
                    await asyncio.wait_for(event.wait(), timeout=60)
                except TimeoutError:
                    self.load.errors.append(f"{self.name}: no `synced` for {conversation}")
            # From here on `send` writes at once; what waited meanwhile goes out below.
            self.ready = True
            self.first_ready.set()
            for frame_text in list(self.outbox.values()):
                await ws.send(frame_text)
        except ConnectionClosed:
            pass

    async def send(self, client_id: str, frame: dict[str, Any]) -> None:
        text = json.dumps(frame)
        self.outbox[client_id] = text
        if self.ready and self.ws is not None:
            with suppress(ConnectionClosed):  # resent after the reconnect
                await self.ws.send(text)

    def _on_frame(self, frame: dict[str, Any], now: float) -> None:
        kind = frame.get("type")
        if kind == "message":
            self._on_message(frame, now)
        elif kind == "ack":
            client_id = frame.get("client_id") or ""
            self.outbox.pop(client_id, None)
            self.load.on_ack(client_id, now)
        elif kind == "synced":
            conversation = int(frame.get("conversation") or 0)
            self.gap_syncing.discard(conversation)
            event = self.synced.get(conversation)
            if event is not None:
                event.set()
        elif kind == "error":
            self.load.errors.append(f"{self.name}: {frame.get('code')}: {frame.get('message')}")

    def _advance(self, conversation: int, seq: int) -> None:
        ahead = self.ahead[conversation]
        if ahead and seq < max(ahead):
            # A line numbered before one already here: two senders' frames crossed.
            self.load.out_of_order += 1
        if seq > self.last_seq[conversation]:
            ahead.add(seq)
        while self.last_seq[conversation] + 1 in ahead:
            self.last_seq[conversation] += 1
            ahead.discard(self.last_seq[conversation])
        if ahead and self.ready and conversation not in self.gap_syncing:
            # A gap: a frame was dropped on the way (the line is stored); fetch what is missing.
            self.load.gap_syncs += 1
            self._sync(conversation)

    async def _catch_up(self) -> None:
        """What the widget and the agent page do at each ping (every 25–30 s): a conversation
        quiet since the last one is synced from its complete point, so lines whose live frames
        the server dropped and that no later line reveals still arrive."""
        while True:
            await asyncio.sleep(PING_SECONDS)
            for conversation in self.last_seq:
                if self.ready and conversation not in self.heard:
                    self._sync(conversation)
            self.heard.clear()

    def _sync(self, conversation: int) -> None:
        if conversation in self.gap_syncing or self.ws is None:
            return
        self.gap_syncing.add(conversation)
        frame: dict[str, Any] = {"type": "sync", "after": self.last_seq[conversation]}
        if self.side == "agent":
            frame["conversation"] = conversation
        asyncio.get_running_loop().create_task(self._send_quietly(json.dumps(frame)))

    async def _send_quietly(self, text: str) -> None:
        if self.ws is not None:
            with suppress(ConnectionClosed):
                await self.ws.send(text)

    def _on_message(self, frame: dict[str, Any], now: float) -> None:
        line = frame.get("line") or {}
        conversation = int(frame.get("conversation") or 0)
        if conversation in self.last_seq:
            self.heard.add(conversation)
            seq = int(line["seq"])
            if seq <= self.last_seq[conversation] or seq in self.ahead[conversation]:
                return  # a line here already, replayed by a sync (clients show a seq once)
            self._advance(conversation, seq)
        if line.get("sender") == self.side:
            return  # the echo of one's own message (the sender's other tabs show it)
        client_id = line.get("client_id") or ""
        if not client_id.startswith(self.load.prefix):
            return  # lines from the setup, system notices
        if client_id in self.seen:
            self.load.duplicated += 1
            return
        self.seen.add(client_id)
        self.load.on_delivered(client_id, now)


class Load:
    """Opens the sockets, runs the phases and keeps the books."""

    def __init__(self, base: str, widget_key: str, chats: list[Chat], cookies: dict[int, str]):
        # Client ids carry the run, so that a --reuse run's ids are not an earlier run's (the
        # server would take them for resends and acknowledge without delivering).
        self.prefix = f"b{random.randrange(16**6):06x}-"
        self.origin = base
        self.chats = chats
        ws_base = base.replace("http://", "ws://", 1)
        by_agent: dict[int, list[int]] = {}
        for chat in chats:
            by_agent.setdefault(chat.agent, []).append(chat.conversation)
        self.agents = {
            user_id: Socket(
                self,
                f"agent {user_id}",
                "agent",
                f"{ws_base}/ws/chat/agent/",
                conversations,
                {"Cookie": cookies[user_id]},
            )
            for user_id, conversations in by_agent.items()
        }
        self.visitors = {
            chat.conversation: Socket(
                self,
                f"visitor of {chat.conversation}",
                "visitor",
                f"{ws_base}/ws/chat/visitor/{widget_key}/?token={quote(chat.token)}",
                [chat.conversation],
            )
            for chat in chats
        }
        self.sent: dict[str, Sent] = {}
        self.acked: dict[str, asyncio.Event] = {}
        self.duplicated = 0
        self.out_of_order = 0
        self.gap_syncs = 0
        self.drops = 0
        self.errors: list[str] = []
        self.phase: Phase | None = None
        self.phases: dict[str, Phase] = {}
        self.lags: list[float] = []
        self.tasks: list[asyncio.Task[None]] = []
        self.counter = 0
        self.closing = False

    async def connect_all(self) -> float:
        """Agents first (as in the shop: someone is there before the chats), then visitors;
        every socket has synced its conversations before any message is sent."""
        started = time.monotonic()
        gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
        for group in (self.agents.values(), self.visitors.values()):
            sockets = list(group)
            self.tasks += [asyncio.create_task(socket.run(gate)) for socket in sockets]
            ready = asyncio.gather(*(socket.first_ready.wait() for socket in sockets))
            try:
                await asyncio.wait_for(ready, timeout=300)
            except TimeoutError:
                await self.close()
                raise SystemExit(f"Sockets not ready in 5 minutes: {self.errors[:5]}") from None
        return time.monotonic() - started

    def on_ack(self, client_id: str, now: float) -> None:
        record = self.sent.get(client_id)
        if record is not None and record.acked_at is None:
            record.acked_at = now
            self.phases[record.phase].ack_latencies.append(now - record.at)
        waiter = self.acked.pop(client_id, None)
        if waiter is not None:
            waiter.set()

    def on_delivered(self, client_id: str, now: float) -> None:
        record = self.sent.get(client_id)
        if record is not None and record.delivered_at is None:
            record.delivered_at = now
            self.phases[record.phase].latencies.append(now - record.at)

    async def send(self, chat: Chat, side: str) -> asyncio.Event:
        assert self.phase is not None
        self.counter += 1
        client_id = f"{self.prefix}{side[0]}-{chat.conversation}-{self.counter}"
        frame: dict[str, Any] = {
            "type": "message",
            "client_id": client_id,
            "body": f"Bench message {self.counter}: where is my parcel?",
        }
        if side == "agent":
            frame["conversation"] = chat.conversation
            socket = self.agents[chat.agent]
        else:
            socket = self.visitors[chat.conversation]
        waiter = self.acked[client_id] = asyncio.Event()
        self.sent[client_id] = Sent(self.phase.name, chat.conversation, time.monotonic())
        self.phase.sent += 1
        await socket.send(client_id, frame)
        return waiter

    @staticmethod
    async def acked_in_time(waiter: asyncio.Event, timeout: float = 60) -> bool:
        try:
            await asyncio.wait_for(waiter.wait(), timeout=timeout)
        except TimeoutError:
            return False
        return True

    async def paced(
        self, phases: list[tuple[str, float]], low: float, high: float, rng: random.Random
    ) -> None:
        """Each side of each chat sends a message every ``low``–``high`` seconds, through the
        given phases one after the other (a warm-up, then the measured one) without a pause:
        a message belongs to the phase it was sent in."""

        async def side_loop(chat: Chat, side: str, stop: float) -> None:
            await asyncio.sleep(rng.uniform(0, high))  # not all at once
            while time.monotonic() < stop:
                waiter = await self.send(chat, side)
                # Like a person at the widget: the next message after the pause, but not before
                # the last one went through — an overloaded server slows the senders down
                # instead of piling up a backlog that no figure could describe. The phase ends
                # on time: no pause reaches past its end.
                pause = asyncio.sleep(min(rng.uniform(low, high), stop - time.monotonic()))
                await asyncio.gather(pause, self.acked_in_time(waiter))

        async def switch() -> None:
            for name, seconds in phases:
                if self.phase is not None:
                    self.phase.ended = time.monotonic()
                print(f"… {name} {seconds:.0f} s (each side every {low:g}–{high:g} s)", flush=True)
                phase = self.phases[name] = Phase(name, started=time.monotonic())
                self.phase = phase
                await asyncio.sleep(seconds)

        stop = time.monotonic() + sum(seconds for _name, seconds in phases)
        switching = asyncio.create_task(switch())
        await asyncio.gather(
            *(side_loop(chat, side, stop) for chat in self.chats for side in ("visitor", "agent"))
        )
        await switching
        assert self.phase is not None
        self.phase.ended = time.monotonic()

    async def flat_out(self, name: str, seconds: float) -> None:
        """Each side sends its next message as soon as the server acknowledged the last."""

        async def side_loop(chat: Chat, side: str, stop: float) -> None:
            while time.monotonic() < stop:
                if not await self.acked_in_time(await self.send(chat, side)):
                    return

        await self._run_phase(name, seconds, side_loop)

    async def _run_phase(
        self, name: str, seconds: float, side_loop: Callable[[Chat, str, float], Awaitable[None]]
    ) -> None:
        phase = self.phases[name] = Phase(name)
        self.phase = phase
        phase.started = time.monotonic()
        stop = phase.started + seconds
        await asyncio.gather(
            *(side_loop(chat, side, stop) for chat in self.chats for side in ("visitor", "agent"))
        )
        phase.ended = time.monotonic()

    async def drain(self, stall: float) -> None:
        """Wait until every message sent so far has reached the other side, or until nothing
        more arrived for ``stall`` seconds: what is missing then is lost, not late."""
        last, last_change = -1, time.monotonic()
        deadline = last_change + 300
        sockets = [*self.agents.values(), *self.visitors.values()]
        while time.monotonic() < deadline:
            waiting = sum(1 for r in self.sent.values() if r.delivered_at is None)
            if not waiting:
                return
            if waiting != last or not all(s.ready for s in sockets):
                # A socket still reconnecting or catching up may yet bring what is missing.
                last, last_change = waiting, time.monotonic()
            elif time.monotonic() - last_change > stall:
                return
            await asyncio.sleep(0.2)

    async def probe_lag(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            before = time.monotonic()
            await asyncio.sleep(0.05)
            self.lags.append(time.monotonic() - before - 0.05)

    async def close(self) -> None:
        self.closing = True
        sockets = [*self.agents.values(), *self.visitors.values()]
        await asyncio.gather(
            *(s.ws.close() for s in sockets if s.ws is not None), return_exceptions=True
        )
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def run(
    base: str,
    widget_key: str,
    chats: list[Chat],
    cookies: dict[int, str],
    *,
    warmup: float,
    seconds: float,
    pace: tuple[float, float],
    flat_out_seconds: float,
    drain: float = 40,
) -> Outcome:
    """Connect everyone, then: warm-up and paced phase, drain, flat-out phase, drain."""
    load = Load(base, widget_key, chats, cookies)
    rng = random.Random(6)
    stop = asyncio.Event()
    cpu_before = sum(os.times()[:2])
    connect_seconds = await load.connect_all()
    probe = asyncio.create_task(load.probe_lag(stop))
    try:
        phases = [("warm-up", warmup)] if warmup else []
        await load.paced([*phases, ("paced", seconds)], *pace, rng)
        await load.drain(drain)
        if flat_out_seconds:
            print(f"… flat out {flat_out_seconds:.0f} s", flush=True)
            await load.flat_out("flat out", flat_out_seconds)
            await load.drain(drain)
    finally:
        stop.set()
        await probe
        await load.close()
    lost_ids = [
        c for c, r in load.sent.items() if r.acked_at is not None and r.delivered_at is None
    ]
    lost_by_phase: dict[str, int] = {}
    for client_id in lost_ids:
        name = load.sent[client_id].phase
        lost_by_phase[name] = lost_by_phase.get(name, 0) + 1
    # The sender's side is the letter after the run prefix: v(isitor) or a(gent).
    lost_to_agents = sum(1 for c in lost_ids if c[len(load.prefix)] == "v")
    unacked = sum(1 for r in load.sent.values() if r.acked_at is None)
    lags = load.lags
    return Outcome(
        phases=load.phases,
        connect_seconds=connect_seconds,
        sockets=len(load.visitors) + len(load.agents),
        drops=load.drops,
        lost=len(lost_ids),
        lost_to_agents=lost_to_agents,
        lost_by_phase=lost_by_phase,
        unacked=unacked,
        duplicated=load.duplicated,
        out_of_order=load.out_of_order,
        gap_syncs=load.gap_syncs,
        errors=load.errors,
        loop_lag_p99_ms=percentile(lags, 0.99) * 1000,
        loop_lag_max_ms=max(lags, default=0.0) * 1000,
        client_cpu_seconds=sum(os.times()[:2]) - cpu_before,
        sent_ids=list(load.sent),
    )
