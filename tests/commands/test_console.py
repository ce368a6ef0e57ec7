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
            assert value in param.options()
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


@pytest.mark.parametrize("piece, line, said", [
    ("additive", "part 2", "'part' is ldd's command; 'piece ldd' plays ldd"),
    ("ldd", "brightnes 2", "unknown command 'brightnes'; did you mean 'brightness' "
                           "(additive's: 'piece additive' plays it)?"),
    ("ldd", "lr2", "unknown command 'lr2'; did you mean 'lr'?"),  # this piece's own first
    ("ruler", "teach a0 c4", "'teach' is qmelody's command; 'piece qmelody' plays qmelody"),
    ("ldd", "zzzz", "unknown command 'zzzz'; type 'help' for the list"),
])
def test_a_command_of_another_piece_says_whose_it_is(piece, line, said):
    from synthlearn.pieces import live_language, piece_class

    with pytest.raises(UserError) as err:
        live_language(piece_class(piece)).parse(line)
    assert str(err.value) == said


def test_bounds_are_written_as_numbers_and_only_ascii_digits_are_numbers():
    from synthlearn.mappings.phrase import note_number, parse_typed
    from synthlearn.pieces.qmelody import Qmelody

    language = Qmelody.language()
    assert "seed n (int 0..4294967295)" in language.help("seed")
    for line in ("seed １２", "tempo ٩٠", "seed 1２"):
        with pytest.raises(UserError, match="is not an integer|is not a number"):
            language.parse(line)
    assert note_number("60") == 60 and note_number("f#3") == 54
    for token in ("６０", "c４"):
        with pytest.raises(ValueError, match="is not a note"):
            note_number(token)
    with pytest.raises(ValueError, match="whole number of sixteenths"):
        parse_typed("c4*２", 8)


def test_the_language_of_one_piece_imports_no_other_piece_until_a_line_asks():
    """Starting ldd loads ldd only (the other pieces' kernels cost the start); a line ldd does
    not know still finds its piece."""
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "from synthlearn.pieces import live_language, piece_class\n"
        "language = live_language(piece_class('ldd'))\n"
        "language.parse('part 2')\n"
        "others = ('synthlearn.pieces.qmelody', 'synthlearn.pieces.ruler',\n"
        "          'synthlearn.pieces.additive')\n"
        "print(sorted(m for m in others if m in sys.modules))\n"
        "try:\n"
        "    language.parse('teach a0 c4')\n"
        "except Exception as exc:\n"
        "    print(exc)\n"
        "print(sorted(m for m in others if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert out == ["[]", "'teach' is qmelody's command; 'piece qmelody' plays qmelody",
                   "['synthlearn.pieces.additive', 'synthlearn.pieces.qmelody', "
                   "'synthlearn.pieces.ruler']"]
