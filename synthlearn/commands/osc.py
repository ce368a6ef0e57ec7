"""OSC control in and learner signals out, over UDP through python-osc.

In (:class:`OscIn`): ``/synthlearn/do "LINE"`` runs one line of the command language and
``/synthlearn/NAME ARGS`` runs ``NAME ARGS`` (``/synthlearn/lr 0.02`` is ``lr 0.02``). It only
translates; the handler checks the line, so a bad value gets the same one-line answer as at the
keyboard. Out (:class:`OscOut`): each learner signal that changed, as ``/synthlearn/KEY`` with one
float32 (``/synthlearn/loss``, ``/synthlearn/reward/a0``), at most ``rate_hz`` times a second.
Both use 127.0.0.1 unless told otherwise, so live-coding tools on the same machine can listen and
steer, and nothing beyond it can. The server thread runs short Python only (the audio thread
shares the GIL): translate a message, call the handler.
"""

from __future__ import annotations

import ipaddress
import math
import shlex
import socket
import struct
import threading
import time
from collections.abc import Callable

from synthlearn.commands.language import Grant, Touch
from synthlearn.errors import UserError
from synthlearn.faults import Tally

DEFAULT_HOST = "127.0.0.1"
PREFIX = "/synthlearn/"
POLL_S = 0.1  # how long close() may wait for the server loop to notice
MAX_PACKET_BYTES = 65535  # the largest UDP datagram: a 10,000-note teach fits
USAGE = 'expected /synthlearn/do "LINE" or /synthlearn/COMMAND ARGS'
_F32 = struct.Struct(">f")  # OSC's "f": what Pd, Max, TouchOSC and python-osc send by default


# What --osc-may adds to OSC's grant (sound only by default): any UDP sender on the machine
# (or the network) reaches the port, so nothing that ends the show or touches a file is theirs
# unless the performer says so.
MAY_WORDS = {"show": Touch.SHOW, "read": Touch.READS, "write": Touch.WRITES}


def parse_may(text: str) -> tuple[str, ...]:
    """``--osc-may show,read`` as ("show", "read"); one line for a word that is not one."""
    words = tuple(w.strip() for w in text.split(",") if w.strip())
    bad = [w for w in words if w not in MAY_WORDS]
    if bad or not words:
        raise UserError(f"--osc-may {text!r}: expected some of {', '.join(MAY_WORDS)}, "
                        "comma-separated")
    return words


def _allow(touches: Touch) -> str:
    return "allow it with perform --osc-may " + ",".join(
        word for word, flag in MAY_WORDS.items() if flag in touches)


def grant(may: tuple[str, ...] = ()) -> Grant:
    """OSC's grant: sound, plus what ``may`` names (see MAY_WORDS)."""
    touches = Touch.SOUND
    for word in may:
        touches |= MAY_WORDS[word]
    return Grant("OSC", touches, _allow)


def describe_grant(osc: Grant) -> str:
    """'may play and set; not end or reshape the show, read files, write files (...)'."""
    refused = Touch.everything() & ~osc.may
    said = f"may {osc.may.words(it=False)}"
    return said if not refused else (f"{said}; not {refused.words(it=False)} "
                                     f"({_allow(refused)})")


def parse_address(text: str, *, default_host: str = DEFAULT_HOST,
                  what: str = "OSC address") -> tuple[str, int]:
    """``"PORT"`` or ``"HOST:PORT"`` as ``(host, port)``; port 0 means any free port."""
    host, sep, port = text.strip().rpartition(":")
    host = host if sep else default_host
    if host and port.isascii() and port.isdigit() and int(port) <= 65535:
        return host, int(port)
    raise UserError(f"{what} {text!r}: expected PORT or HOST:PORT (e.g. 9000 or 127.0.0.1:9000)")


def _f32(x: float) -> float:
    try:  # x as float32, inf beyond its range
        return _F32.unpack(_F32.pack(x))[0]
    except OverflowError:
        return math.copysign(math.inf, x)


def _float_text(x: float) -> str:
    if math.isfinite(x) and x.is_integer() and abs(x) < 1e15:
        return str(int(x))  # Pd and TouchOSC send every number as a float: "part 2", not 2.0
    if math.isfinite(x) and _f32(x) == x:
        # a float32 (OSC's usual "f"): its repr is 0.019999999552965164 where 0.02 was sent
        for digits in range(1, 10):
            text = f"{x:.{digits}g}"
            if _f32(float(text)) == x:
                return text
    return repr(x)


def _arg_text(address: str, arg: object) -> str:
    if isinstance(arg, bool):  # before int: bool is an int
        return "on" if arg else "off"
    if isinstance(arg, int):
        return str(arg)
    if isinstance(arg, float):
        return _float_text(arg)
    if isinstance(arg, str):
        return shlex.quote(arg)
    raise UserError(f"{address}: an argument of type {type(arg).__name__} is not a number, "
                    "string or boolean")


def line_of(address: str, args: tuple | list) -> str:
    """One OSC message as one line of the command language; UserError if it is not one of ours."""
    name = address[len(PREFIX):] if address.startswith(PREFIX) else ""
    if not name or "/" in name:
        raise UserError(f"{address} is not a synthlearn address; {USAGE}")
    if name == "do":  # strings are pieces of the line itself: no quoting
        line = " ".join(a if isinstance(a, str) else _arg_text(address, a) for a in args)
        if not line.strip():
            raise UserError(f'{address} needs the line to run, e.g. /synthlearn/do "part 2"')
        return line
    return " ".join([name, *(_arg_text(address, a) for a in args)])


MAX_PER_S = 200  # messages taken a second: a faster stream is a runaway, not a performer


def loopback(host: str) -> bool:
    """True when ``host`` is this machine only (127.0.0.0/8, ::1, localhost)."""
    try:
        return all(ipaddress.ip_address(info[4][0]).is_loopback
                   for info in socket.getaddrinfo(host, None, type=socket.SOCK_DGRAM))
    except (OSError, ValueError):
        return False


def parse_allow(text: str) -> tuple[str, ...]:
    """``--osc-allow HOST[,HOST...]`` as the senders' IP addresses (names resolved now)."""
    hosts = [h.strip() for h in text.split(",") if h.strip()]
    if not hosts:
        raise UserError(f"--osc-allow {text!r}: expected HOST[,HOST...]")
    found = []
    for host in hosts:
        try:
            infos = socket.getaddrinfo(host, None, type=socket.SOCK_DGRAM)
        except OSError as exc:
            raise UserError(f"--osc-allow {host!r}: cannot resolve it ({exc.strerror or exc})"
                            ) from None
        found += [str(ipaddress.ip_address(info[4][0])) for info in infos]
    return tuple(dict.fromkeys(found))


def check_listen(host: str, port: int, allow) -> None:
    """Listening beyond this machine needs an allow-list of senders: one line if it has none."""
    if allow is None and not loopback(host):
        raise UserError(f"--osc-in {host}:{port} listens beyond this machine: name who may "
                        "send with --osc-allow HOST[,HOST...]")


class OscIn:
    """A UDP OSC server whose messages become lines for ``handle_line``.

    Beyond this machine (a host that is not loopback) it takes packets only from the senders
    in ``allow``; it refuses to start without such a list. Others' packets are dropped,
    tallied, and said at most once a second."""

    def __init__(self, handle_line: Callable[[str], None], *, host: str = DEFAULT_HOST,
                 port: int, say=print, allow: tuple[str, ...] | None = None):
        from pythonosc import osc_packet

        self.handle_line, self.host, self.port, self.say = handle_line, host, port, say
        self._parse = osc_packet.OscPacket  # looked up once, not per packet
        self.allow = None if allow is None else frozenset(allow)
        self._strangers = Tally()  # packets from senders not in allow
        self._stranger = ""
        self.received = 0
        self._dropped = Tally()  # messages over MAX_PER_S in a second
        self._malformed = Tally()  # packets that are not OSC (or not UTF-8 where text is)
        self._malformed_why = ""
        self._foreign = Tally()  # messages to addresses that are not ours, past one a second
        self._foreign_why = ""
        self._window_start, self._in_window = -1e9, 0
        self._server, self._thread = None, None

    @property
    def address(self) -> tuple[str, int]:
        """The (host, port) bound once started (a real port where 0 was asked for)."""
        return self._server.server_address[:2] if self._server else (self.host, self.port)

    def _packet(self, data: bytes, sender: str | None = None) -> None:
        """One datagram (the server thread) from ``sender``'s address: dropped unless the
        sender may send, counted against the flood limit before it is parsed, then parsed;
        anything malformed is tallied, never printed or raised."""
        if self.allow is not None and sender not in self.allow:
            self._strangers.count += 1
            self._stranger = str(sender)
            return
        now = time.monotonic()
        if now - self._window_start >= 1.0:
            self._window_start, self._in_window = now, 0
        if self._in_window >= MAX_PER_S:  # a flood: the audio and the console come first
            self._dropped.count += 1
            return
        self._in_window += 1
        try:
            messages = [timed.message for timed in self._parse(data).messages]
        except Exception as exc:  # noqa: BLE001 - bytes from anyone: nothing may escape
            self._malformed.count += 1
            self._malformed_why = f"{type(exc).__name__}: {exc}"[:120]
            return
        for message in messages:
            self._on_message(message.address, *message.params)

    def _on_message(self, address: str, *args) -> None:
        try:
            line = line_of(address, args)
        except UserError as exc:
            if self._foreign.now_or_later():
                self.say(f"osc: {exc}")
            else:
                self._foreign_why = str(exc)[:120]
            return
        self.received += 1
        self.handle_line(line)

    @property
    def dropped(self) -> int:
        return self._dropped.count

    @property
    def malformed(self) -> int:
        return self._malformed.count

    def report(self) -> str | None:
        """Main thread, as often as it likes: a line when packets were dropped or malformed
        since the last one (at most once a second each)."""
        said = []
        new = self._dropped.since_said()
        if new:
            said.append(f"{new} messages dropped (more than {MAX_PER_S} a second)")
        bad = self._malformed.since_said()
        if bad:
            said.append(f"{bad} malformed packets ignored (last: {self._malformed_why})")
        foreign = self._foreign.since_said()
        if foreign:
            said.append(f"{foreign} more messages not for synthlearn (last: "
                        f"{self._foreign_why})")
        strangers = self._strangers.since_said()
        if strangers:
            said.append(f"{strangers} packets from senders not in --osc-allow dropped (last: "
                        f"{self._stranger})")
        return ("osc: " + "; ".join(said)) if said else None

    def start(self) -> OscIn:
        import socketserver

        check_listen(self.host, self.port, self.allow)
        listener = self

        class Server(socketserver.UDPServer):
            # Whole UDP datagrams (socketserver's 8 KiB default cut long ones into garbage);
            # each handled here, never through a handler that could print a traceback.
            max_packet_size = MAX_PACKET_BYTES

            def process_request(self, request, client_address) -> None:
                sender = str(ipaddress.ip_address(client_address[0].split("%")[0]))
                listener._packet(request[0], sender)

            def handle_error(self, request, client_address) -> None:
                listener._malformed.count += 1

        try:
            Server.address_family = socket.getaddrinfo(self.host, self.port,
                                                       type=socket.SOCK_DGRAM)[0][0]
            self._server = Server((self.host, self.port), socketserver.BaseRequestHandler)
        except OSError as exc:
            raise UserError(f"cannot listen for OSC on {self.host}:{self.port}: "
                            f"{exc.strerror or exc}") from None
        self._thread = threading.Thread(target=self._server.serve_forever, args=(POLL_S,),
                                        name="synthlearn-osc-in", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        thread, self._thread = self._thread, None
        if thread is None:  # never started, or closed already: shutdown() would wait forever
            return
        self._server.shutdown()
        self._server.server_close()
        thread.join()


def _broadcast(host: str) -> bool:
    try:
        return any(info[4][0] == "255.255.255.255"
                   for info in socket.getaddrinfo(host, None, type=socket.SOCK_DGRAM))
    except OSError:
        return False  # an unknown name: _connect says so


class OscOut:
    """Send ``read()``'s signals that changed as ``/synthlearn/KEY`` float32 messages."""

    def __init__(self, read: Callable[[], dict[str, float]], *, host: str = DEFAULT_HOST,
                 port: int, rate_hz: float = 30.0,
                 events: Callable[[], list[tuple[str, float]]] | None = None):
        self.read, self.host, self.port, self.rate_hz = read, host, port, rate_hz
        self.events = events  # messages sent once each, changed or not (per episode)
        self.sent = 0
        self._errors = Tally()  # sends that failed (nobody listening, no route)
        self._error_why = ""
        self._last: dict[str, float] = {}
        self._client, self._thread = None, None
        self._lock = threading.Lock()  # send_now may be called while the thread runs
        self._stop = threading.Event()

    def _connect(self):
        if self._client is None:
            from pythonosc import udp_client

            try:
                self._client = udp_client.SimpleUDPClient(self.host, self.port)
            except OSError as exc:  # an unknown host name
                raise UserError(f"cannot send OSC to {self.host}:{self.port}: "
                                f"{exc.strerror or exc}") from None
        return self._client

    def send_now(self) -> int:
        """Send every event, then every finite value that changed since it was last sent;
        return how many messages went."""
        with self._lock:
            client, before = self._connect(), self.sent
            for key, value in (self.events() if self.events is not None else ()):
                try:
                    client.send_message(PREFIX + key, _f32(float(value)))
                    self.sent += 1
                except OSError as exc:
                    self._failed(exc)
            for key, value in self.read().items():
                value32 = _f32(float(value))  # what arrives; beyond float32 is inf
                if not math.isfinite(value32) or self._last.get(key) == value32:
                    continue
                try:
                    client.send_message(PREFIX + key, value32)
                except OSError as exc:  # nobody listening (ICMP refused), no route: next tick
                    self._failed(exc)
                    break
                self._last[key] = value32
                self.sent += 1
            return self.sent - before

    @property
    def errors(self) -> int:
        return self._errors.count

    def _failed(self, exc: OSError) -> None:
        self._errors.count += 1
        self._error_why = exc.strerror or str(exc)

    def report(self) -> str | None:
        """Main thread: a line when sends failed since the last one (at most once a second)."""
        new = self._errors.since_said()
        return (f"osc: {new} messages to {self.host}:{self.port} not sent "
                f"({self._error_why})") if new else None

    def start(self) -> OscOut:
        if not (math.isfinite(self.rate_hz) and self.rate_hz > 0):
            raise UserError(f"OSC out rate {self.rate_hz!r}: expected a positive number of Hz")
        if _broadcast(self.host):  # it would send nothing (no SO_BROADCAST), saying it sends
            raise UserError(f"--osc-out {self.host}:{self.port} is a broadcast address; "
                            "synthlearn sends to one listener: give its address")
        self._connect()
        self.send_now()  # listeners hear the state at once, not a period later
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="synthlearn-osc-out", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        period = 1.0 / self.rate_hz
        while not self._stop.wait(period):
            self.send_now()

    def close(self) -> None:
        thread, self._thread = self._thread, None
        self._stop.set()
        if thread:
            thread.join()
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None
