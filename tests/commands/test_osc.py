"""OSC in and out over real UDP sockets on 127.0.0.1 (port 0: any free port); no sleeps."""

import math
import queue
import socket
import struct
import subprocess
import sys
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pythonosc import dispatcher, osc_bundle_builder, osc_message_builder, osc_server, udp_client

from synthlearn.commands.osc import OscIn, OscOut, line_of, parse_address
from synthlearn.errors import UserError

WAIT_S = 5


def f32(x: float) -> float:
    try:
        return struct.unpack(">f", struct.pack(">f", x))[0]
    except OverflowError:
        return math.inf


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def osc_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("synthlearn-osc")]


# parse_address


@pytest.mark.parametrize("text, expected", [
    ("9000", ("127.0.0.1", 9000)),
    ("0", ("127.0.0.1", 0)),
    ("65535", ("127.0.0.1", 65535)),
    (" 57120 ", ("127.0.0.1", 57120)),
    ("localhost:9000", ("localhost", 9000)),
    ("192.168.1.20:57120", ("192.168.1.20", 57120)),
])
def test_parse_address_good(text, expected):
    assert parse_address(text) == expected


def test_parse_address_default_host():
    assert parse_address("9000", default_host="0.0.0.0") == ("0.0.0.0", 9000)


@pytest.mark.parametrize("text", ["abc", "", "65536", "-1", "9000.5", "host:", ":9000",
                                  "127.0.0.1:abc", "1:2:x", "٩٠٠٠", "9000:"])
def test_parse_address_bad(text):
    with pytest.raises(UserError) as info:
        parse_address(text)
    message = str(info.value)
    assert "\n" not in message
    assert repr(text) in message and "expected PORT or HOST:PORT" in message


def test_parse_address_names_the_option():
    with pytest.raises(UserError, match=r"^--osc-in 'abc': expected PORT or HOST:PORT \(e\.g\. "
                                        r"9000 or 127\.0\.0\.1:9000\)$"):
        parse_address("abc", what="--osc-in")


@given(st.integers(0, 65535))
def test_parse_address_every_port(port):
    assert parse_address(str(port)) == ("127.0.0.1", port)
    assert parse_address(f"10.0.0.1:{port}") == ("10.0.0.1", port)


@given(st.text(max_size=30))
def test_parse_address_any_text_parses_or_says_why(text):
    try:
        host, port = parse_address(text)
    except UserError:
        return
    assert host and 0 <= port <= 65535


# line_of: the translation alone


@pytest.mark.parametrize("address, args, line", [
    ("/synthlearn/do", ("part 2",), "part 2"),
    ("/synthlearn/do", ("part", 2), "part 2"),
    ("/synthlearn/lr", (0.02,), "lr 0.02"),
    ("/synthlearn/lr", (f32(0.02),), "lr 0.02"),  # what an OSC "f" 0.02 decodes to
    ("/synthlearn/lr", (0.123456789012,), "lr 0.123456789012"),
    ("/synthlearn/volume", (-6.5,), "volume -6.5"),
    ("/synthlearn/part", (2,), "part 2"),
    ("/synthlearn/part", (2.0,), "part 2"),  # Pd sends every number as a float
    ("/synthlearn/faithful", (True,), "faithful on"),
    ("/synthlearn/faithful", (False,), "faithful off"),
    ("/synthlearn/faithful", ("on",), "faithful on"),
    ("/synthlearn/load", ("my file.csv",), "load 'my file.csv'"),
    ("/synthlearn/next", (), "next"),
])
def test_line_of(address, args, line):
    assert line_of(address, args) == line


@pytest.mark.parametrize("address, args, fragment", [
    ("/foo/bar", (), "/foo/bar is not a synthlearn address"),
    ("/synthlearn/a/b", (1,), "/synthlearn/a/b is not a synthlearn address"),
    ("/synthlearn/", (), "is not a synthlearn address"),
    ("/synthlearn", (), "is not a synthlearn address"),
    ("/synthlearn/do", (), "needs the line to run"),
    ("/synthlearn/lr", (b"\x00",), "type bytes is not a number, string or boolean"),
    ("/synthlearn/lr", (None,), "type NoneType"),
])
def test_line_of_refuses(address, args, fragment):
    with pytest.raises(UserError, match=fragment):
        line_of(address, args)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_line_of_floats_round_trip(x):
    # a value a float32 holds exactly is read as one, so only float32 precision is kept for it
    x32 = f32(x)
    if math.isfinite(x32):
        assert f32(float(line_of("/synthlearn/lr", (x32,)).split()[1])) == x32
    if x32 != x or abs(x) < 1e15 and x.is_integer():
        assert float(line_of("/synthlearn/lr", (x,)).split()[1]) == x


# OscIn over UDP


@pytest.fixture
def osc_in():
    lines: queue.Queue[str] = queue.Queue()
    said: queue.Queue[str] = queue.Queue()
    server = OscIn(lines.put, port=0, say=said.put).start()
    client = udp_client.SimpleUDPClient(*server.address)
    yield server, client, lines, said
    server.close()
    client.close()


def test_osc_in_binds_localhost_on_a_free_port(osc_in):
    server, _, _, _ = osc_in
    host, port = server.address
    assert host == "127.0.0.1" and port > 0
    assert "synthlearn-osc-in" in osc_threads()


@pytest.mark.parametrize("address, value, line", [
    ("/synthlearn/do", "part 2", "part 2"),
    ("/synthlearn/lr", 0.02, "lr 0.02"),  # sent as float32, as most OSC tools do
    ("/synthlearn/part", 2, "part 2"),
    ("/synthlearn/faithful", True, "faithful on"),
    ("/synthlearn/faithful", "on", "faithful on"),
    ("/synthlearn/load", "rain data.csv", "load 'rain data.csv'"),
    ("/synthlearn/next", [], "next"),
])
def test_osc_in_messages_become_lines(osc_in, address, value, line):
    server, client, lines, said = osc_in
    client.send_message(address, value)
    assert lines.get(timeout=WAIT_S) == line
    assert server.received == 1 and said.empty()


def test_osc_in_double_argument(osc_in):
    _, client, lines, _ = osc_in
    builder = osc_message_builder.OscMessageBuilder("/synthlearn/lr")
    builder.add_arg(0.1, builder.ARG_TYPE_DOUBLE)
    client.send(builder.build())
    assert lines.get(timeout=WAIT_S) == "lr 0.1"


def test_osc_in_unknown_address_says_one_line_and_goes_on(osc_in):
    server, client, lines, said = osc_in
    client.send_message("/foo/bar", 1)
    client.send_message("/synthlearn/next", [])
    assert lines.get(timeout=WAIT_S) == "next"
    assert said.get_nowait() == ('osc: /foo/bar is not a synthlearn address; expected '
                                 '/synthlearn/do "LINE" or /synthlearn/COMMAND ARGS')
    assert said.empty() and server.received == 1


def test_a_flood_of_foreign_addresses_is_one_line_a_second_and_a_count(osc_in):
    server, client, lines, said = osc_in
    flood = 150  # under the 200-a-second limit: every one reaches the address check
    for i in range(flood):
        client.send_message(f"/other/app/{i}", 1)
    client.send_message("/synthlearn/next", [])
    assert lines.get(timeout=WAIT_S) == "next"
    told = []
    while not said.empty():
        told.append(said.get_nowait())
    assert told[0] == ('osc: /other/app/0 is not a synthlearn address; expected '
                       '/synthlearn/do "LINE" or /synthlearn/COMMAND ARGS')
    # the first of each second said, the rest counted and told by report() (main thread)
    assert len(told) < flood // 2 and server._foreign.count == flood - len(told)
    assert server.report().startswith(f"osc: {flood - len(told)} more messages not for "
                                      "synthlearn (last: /other/app/")


def test_osc_in_survives_garbage(osc_in):
    server, client, lines, _ = osc_in
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as raw:
        for junk in (b"\x00\xffgarbage", b"/synthlearn/lr\x00\x00,i\x00\x00\x01", b"#bundle\x00",
                     b"/", b"/synthlearn/lr\x00\x00,s\x00\x00abc", b"\xff" * 9000):
            raw.sendto(junk, server.address)
    client.send_message("/synthlearn/part", 3)
    assert lines.get(timeout=WAIT_S) == "part 3"
    assert server.received == 1


def test_osc_in_future_bundle_does_not_wait(osc_in):
    _, client, lines, _ = osc_in
    bundle = osc_bundle_builder.OscBundleBuilder(2_080_000_000.0)  # the year 2035
    bundle.add_content(osc_message_builder.OscMessageBuilder("/synthlearn/next").build())
    client.send(bundle.build())
    assert lines.get(timeout=WAIT_S) == "next"


def test_osc_in_port_in_use_is_a_user_error(osc_in):
    server, _, _, _ = osc_in
    with pytest.raises(UserError, match=f"cannot listen for OSC on 127.0.0.1:{server.address[1]}"):
        OscIn(print, port=server.address[1]).start()


def test_osc_in_close_is_idempotent_and_joins():
    OscIn(print, port=0).close()  # never started: returns at once
    server = OscIn(print, port=0).start()
    server.close()
    server.close()
    assert "synthlearn-osc-in" not in osc_threads()


# OscOut to a python-osc server in the test


@pytest.fixture
def receiver():
    got: list[tuple[str, tuple]] = []
    disp = dispatcher.Dispatcher()
    disp.set_default_handler(lambda address, *args: got.append((address, args)))
    server = osc_server.BlockingOSCUDPServer(("127.0.0.1", 0), disp)
    server.timeout = WAIT_S  # handle_request gives up after this

    def receive(n: int) -> list[tuple[str, tuple]]:
        start = len(got)
        for _ in range(n):
            server.handle_request()
        assert len(got) == start + n, "a message did not arrive"
        return got[start:]

    yield server.server_address[1], receive
    server.server_close()


def test_osc_out_sends_changed_finite_values(receiver):
    port, receive = receiver
    values = {"loss": 0.12, "part": 2.0, "reward/a0": -1.0, "nan": math.nan, "inf": math.inf,
              "huge": 1e39}
    out = OscOut(lambda: dict(values), port=port)
    assert out.send_now() == 3
    assert sorted(receive(3)) == [("/synthlearn/loss", (f32(0.12),)),
                                  ("/synthlearn/part", (2.0,)),
                                  ("/synthlearn/reward/a0", (-1.0,))]
    values["loss"] = 0.5
    assert out.send_now() == 1
    assert out.send_now() == 0
    values["part"] = 3
    assert out.send_now() == 1
    # in order, with nothing in between: the unchanged values were not sent again
    assert receive(2) == [("/synthlearn/loss", (0.5,)), ("/synthlearn/part", (3.0,))]
    assert out.sent == 5 and out.errors == 0
    out.close()


def test_osc_out_thread_sends_at_its_rate(receiver):
    port, receive = receiver
    calls = []
    out = OscOut(lambda: calls.append(1) or {"step": float(len(calls))}, port=port,
                 rate_hz=1000).start()
    assert "synthlearn-osc-out" in osc_threads()
    assert [args for _, args in receive(3)] == [(1.0,), (2.0,), (3.0,)]
    out.close()
    out.close()
    assert "synthlearn-osc-out" not in osc_threads()
    assert out.sent == len(calls)


@pytest.mark.parametrize("host, port", [
    ("127.0.0.1", None),  # nobody listens: Linux says nothing, others raise ECONNREFUSED
    ("127.0.0.1", 0),  # port 0: every send raises EINVAL, on the machine itself
])
def test_osc_out_unreachable_does_not_stop_the_thread(host, port):
    calls, third = [], threading.Event()

    def read():
        calls.append(1)
        if len(calls) == 3:
            third.set()
        return {"step": float(len(calls))}

    out = OscOut(read, host=host, port=free_port() if port is None else port,
                 rate_hz=1000).start()
    assert third.wait(WAIT_S)  # the thread read again after two sends
    assert out._thread.is_alive()
    out.close()
    if port == 0:
        assert out.errors >= 2 and out.sent == 0


def test_osc_out_send_now_counts_errors():
    out = OscOut(lambda: {"loss": 1.0}, host="255.255.255.255", port=9000)
    assert out.send_now() == 0
    assert out.send_now() == 0  # not marked as sent: tried again
    assert out.errors == 2
    out.close()


def test_osc_out_refuses_a_bad_rate_or_host():
    with pytest.raises(UserError, match="expected a positive number of Hz"):
        OscOut(dict, port=9000, rate_hz=0).start()
    with pytest.raises(UserError, match="cannot send OSC to no.such.host.invalid:9000"):
        OscOut(dict, host="no.such.host.invalid", port=9000).start()
    OscOut(dict, port=9000).close()  # never started


def test_import_is_pure():
    code = ("import sys, synthlearn.commands.osc\n"
            "print(','.join(m for m in ('pyo', 'pygame', 'rtmidi', 'mido') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_a_flood_is_rate_limited_and_said_once():
    from synthlearn.commands.osc import MAX_PER_S

    lines, said = [], []
    osc = OscIn(lines.append, port=0, say=said.append)  # not started: packets by hand
    packets = [udp_packet("/synthlearn/gain", float(i % 20)) for i in range(20)]
    for i in range(5000):  # as fast as the server thread could take them: well under 1 s
        osc._packet(packets[i % 20])
    assert len(lines) == osc.received == MAX_PER_S and osc.dropped == 5000 - MAX_PER_S
    assert osc.report() == f"osc: {5000 - MAX_PER_S} messages dropped (more than {MAX_PER_S} " \
                           "a second)"
    assert osc.report() is None and said == []  # said once, by the main thread


def udp_packet(address, *args) -> bytes:
    builder = osc_message_builder.OscMessageBuilder(address=address)
    for arg in args:
        builder.add_arg(arg)
    return builder.build().dgram


def test_malformed_packets_are_tallied_before_parsing_never_a_traceback(capfd):
    lines, said = [], []
    osc = OscIn(lines.append, port=0, say=said.append).start()
    bad_utf8 = b"/synthlearn/\xff\xfe" + b"\0" * 2 + b",s\0\0" + b"\xc3\x28\0\0"
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        for i in range(3000):  # a flood of garbage: invalid UTF-8, truncated, not OSC at all
            sender.sendto([bad_utf8, b"/synth", b"\x00\x01garbage", b""][i % 4], osc.address)
        sender.sendto(udp_packet("/synthlearn/tempo", 90.0), osc.address)
        done = queue.Queue()
        osc.handle_line = lambda line: done.put(line)  # the next good one that gets through
        for _ in range(2000):  # past the flood window, a good message is taken again
            sender.sendto(udp_packet("/synthlearn/tempo", 91.0), osc.address)
            try:
                assert done.get(timeout=0.05) == "tempo 91"
                break
            except queue.Empty:
                continue
    finally:
        sender.close()
        osc.close()
    # Every bad packet that arrived was counted (the kernel may drop some of a flood first).
    assert osc.malformed > 0 and osc.received >= 1
    report = osc.report()
    assert report is not None and report.count("\n") == 0 and "malformed packets ignored" in report
    assert osc.report() is None  # at most once a second
    err = capfd.readouterr().err
    assert "Traceback" not in err and err.count("\n") == 0 and said == []


def test_a_long_teach_fits_one_datagram():
    lines = []
    osc = OscIn(lines.append, port=0, say=lines.append).start()
    notes = ",".join(["c4", "e4", "g4"] * 3000)  # 9,000 notes: 27 KB, over socketserver's 8 KB
    sender = udp_client.SimpleUDPClient(*osc.address)
    got = queue.Queue()
    osc.handle_line = got.put
    try:
        sender.send_message("/synthlearn/do", f"teach a0 {notes}")
        assert got.get(timeout=WAIT_S) == f"teach a0 {notes}"
    finally:
        osc.close()


def test_beyond_this_machine_osc_needs_an_allow_list():
    from synthlearn.commands.osc import loopback, parse_allow

    assert loopback("127.0.0.1") and loopback("localhost") and not loopback("0.0.0.0")
    with pytest.raises(UserError, match=r"^--osc-in 0\.0\.0\.0:0 listens beyond this machine: "
                                        r"name who may send with --osc-allow HOST\[,HOST\.\.\.\]$"):
        OscIn(print, host="0.0.0.0", port=0).start()
    assert parse_allow("127.0.0.2, localhost")[0] == "127.0.0.2"
    with pytest.raises(UserError, match="--osc-allow 'no.such.host.invalid': cannot resolve"):
        parse_allow("no.such.host.invalid")


def test_packets_from_senders_not_allowed_are_dropped_and_said_once():
    lines = queue.Queue()
    osc = OscIn(lines.put, host="127.0.0.1", port=0, say=print,
                allow=("127.0.0.2",)).start()
    stranger = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    friend = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    friend.bind(("127.0.0.2", 0))  # any 127/8 address is this machine's on Linux
    try:
        for _ in range(50):
            stranger.sendto(udp_packet("/synthlearn/do", "part 2"), osc.address)
        friend.sendto(udp_packet("/synthlearn/do", "part 3"), osc.address)
        assert lines.get(timeout=WAIT_S) == "part 3"  # the stranger's never came through
    finally:
        stranger.close()
        friend.close()
        osc.close()
    assert lines.empty() and osc.received == 1
    report = osc.report()
    assert report.startswith("osc: ") and "packets from senders not in --osc-allow dropped " \
                                          "(last: 127.0.0.1)" in report
    assert osc.report() is None


def test_osc_out_refuses_a_broadcast_address_and_says_failed_sends_once():
    with pytest.raises(UserError, match=r"^--osc-out 255\.255\.255\.255:9000 is a broadcast "
                                        r"address; synthlearn sends to one listener"):
        OscOut(dict, host="255.255.255.255", port=9000).start()
    out = OscOut(lambda: {"loss": 1.0}, host="255.255.255.255", port=9000)  # never sent
    out.send_now()
    out.send_now()
    report = out.report()
    assert report is not None and report.startswith(
        "osc: 2 messages to 255.255.255.255:9000 not sent (")
    assert out.report() is None  # once a second at most
    out.close()
