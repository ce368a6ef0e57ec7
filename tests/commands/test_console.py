import math
import shlex

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthlearn.commands.console import SESSION
from synthlearn.commands.language import ENGINE, Command, Language, Param, Spec, Touch, Where
from synthlearn.errors import UserError
from synthlearn.pieces.additive import Additive

LANG = Language.of(
    ENGINE,
    Additive.commands,
    SESSION,
    (
        Spec("ruler", (Param("data", "path"), Param("distance", "int", 0, 64),
                       Param("consistency", "float", 0, 1)), "rules", takes_target=True,
             where=Where.WORKER, touches=Touch.READS),
        Spec("detune", (Param("signal", "choice", choices=("loss", "residual", "mae")),), "d"),
        Spec("faithful", (Param("state", "onoff"),), "f"),
    ),
)


def test_parses_typed_values():
    assert LANG.parse("brightness 2").args == (2.0,)
    assert LANG.parse("volume -6.5").args == (-6.5,)
    assert LANG.parse("detune residual").args == ("residual",)
    assert LANG.parse("faithful on").args == (True,)
    assert LANG.parse("help").args == (None,)


def test_seed_syntax_assignment_and_keywords():
    cmd = LANG.parse("rules = ruler datasets/rain.csv distance:4 consistency:0.5")
    assert cmd == Command("ruler", ("datasets/rain.csv", 4, 0.5),
                          "rules = ruler datasets/rain.csv distance:4 consistency:0.5", "rules")
    # keywords in any order, positionals fill the rest
    assert LANG.parse("ruler consistency:0.2 d.csv 3").args == ("d.csv", 3, 0.2)


@pytest.mark.parametrize("line, fragment", [
    ("brightnes 2", "did you mean 'brightness'"),
    ("brightness", "missing exponent"),
    ("brightness loud", "'loud' is not a number"),
    ("brightness 9", "in 0..4"),
    ("brightness nan", "finite"),
    ("volume 1 2", "unexpected '2'"),
    ("detune loose", "one of loss, residual, mae"),
    ("faithful yes", "on or off"),
    ("x = volume 3", "cannot be assigned"),
    ("ruler d.csv distance:4 distance:5 consistency:1", "given twice"),
    ("brightness 'unclosed", "cannot read"),
    ("", "empty command"),
])
def test_errors_are_one_clear_line(line, fragment):
    with pytest.raises(UserError) as err:
        LANG.parse(line)
    message = str(err.value)
    assert fragment in message
    assert "\n" not in message


def test_help_and_completion():
    assert "brightness" in LANG.help()
    assert LANG.help("detune").startswith("detune loss|residual|mae")
    assert LANG.complete("bri") == ["brightness"]
    assert LANG.complete("detune r") == ["residual"]
    assert LANG.complete("faithful ") == ["on", "off"]


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=60))
def test_fuzz_always_a_command_or_a_clean_error(text):
    try:
        cmd = LANG.parse(text)
    except UserError as exc:
        _says_what_was_wrong(str(exc), text)
        return
    _well_typed(cmd)


GENERAL = ("empty command", "cannot read")  # the only answers that need not quote the line


def _says_what_was_wrong(message: str, text: str) -> None:
    """One line that names what was wrong — one of the words the line was read as (shell-like:
    quotes and comments), as typed or as repr shows it — or says the line was empty or
    unreadable: a bare ``UserError("x")`` fails here."""
    assert message and ("\n" not in message or "\n" in text)
    if message.startswith(GENERAL):
        return
    words = shlex.split(text, comments=True)
    assert any(w and (w in message or repr(w)[1:-1] in message) for w in words), \
        (message, text)


def _well_typed(cmd) -> None:
    spec = LANG.specs[cmd.name]
    assert cmd.spec is spec and len(cmd.args) == len(spec.params)
    for param, value in zip(spec.params, cmd.args, strict=True):
        if value is None and param.optional:
            continue
        if param.kind in ("float", "int"):
            assert isinstance(value, int if param.kind == "int" else float)
            assert math.isfinite(value) and param.low <= value <= param.high
        elif param.kind == "choice":
            assert value in param.choices
        elif param.kind == "onoff":
            assert value in (True, False)
        else:
            assert isinstance(value, str) and value


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(LANG.specs)), st.lists(
    st.one_of(st.floats(allow_nan=True), st.integers(), st.sampled_from(["on", "loss", "x:1"])),
    max_size=4))
def test_fuzz_near_valid_lines(name, args):
    line = " ".join([name, *map(str, args)])
    try:
        cmd = LANG.parse(line)
    except UserError as exc:
        # a known command with wrong arguments: the answer names the command
        assert "\n" not in str(exc) and str(exc).startswith(f"{name}: "), (str(exc), line)
        return
    assert cmd.name == name
    _well_typed(cmd)
