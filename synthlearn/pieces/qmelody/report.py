"""What qmelody tells the performer and other programs: its status, each agent's line
(``agents``), the state a command will leave (the console's reply), the news of a phrase taken,
the signals logged over time, and (:class:`Chronicle`) every episode and copy as it happens:
curves, OSC messages, log lines. Read in the main thread from the piece and its learner.
"""

from __future__ import annotations

import collections
import math

from synthlearn.mappings import phrase as phrases
from synthlearn.mappings import scales
from synthlearn.pieces.qmelody.agents import AGENT_NAMES, AGENTS, HYPER_RANGES, SETTINGS, agents_of


def note_name(pitch: int) -> str:
    """``c4`` for MIDI 60, ``r`` for a rest (-1)."""
    if pitch < 0:
        return "r"
    return f"{scales.NOTE_NAMES[pitch % 12]}{pitch // 12 - 1}"


def learns(agents, phrase: phrases.Phrase) -> str:
    """What a performer is told when agents take a phrase: ``a0, a1 learn c4 e4 r g4``."""
    names = [AGENT_NAMES[k] for k in agents]
    return (f"{', '.join(names)} {'learns' if len(names) == 1 else 'learn'} "
            + " ".join(note_name(p) for p in phrase.pitches))


def status(piece) -> str:
    """The piece's state in a few lines: tempo, mean reward, ring, teacher, then the agents."""
    return (f"qmelody: tempo {piece.tempo_bpm:g} bpm, {mean_reward_said(piece)}"
            + (f", ring every {piece.ring_every}" if piece.ring_every else "")
            + (", teacher on" if piece.teacher else "")
            + (", faithful" if piece.faithful else "") + "\n" + agents_lines(piece))


def agents_lines(piece) -> str:
    """Each agent's line: what it does, its episodes, reward and correct notes, its settings,
    its scale and its target."""
    lines = []
    q = piece.learner
    for k, name in enumerate(AGENT_NAMES):
        if piece.nsteps[k] == 0:
            lines.append(f"{name}: listening for a phrase")
            continue
        agent = q.agent(k)
        scale, root = q.scale_of(k)
        target = " ".join(note_name(int(p)) for p in agent.target)
        state = ("practising" if piece._practice_left[k] else
                 "frozen" if piece.frozen[k] or piece._pedal else
                 "armed" if piece.armed[k] else "playing")
        lines.append(
            f"{name}: {state}, episode {agent.episodes}, reward "
            f"{agent.reward:.2f}, correct {100 * agent.correct:.0f} %; "
            f"eps {q.hyperparameter(k, 'eps'):.3f} alpha {q.hyperparameter(k, 'alpha'):g} "
            f"gamma {q.hyperparameter(k, 'gamma'):g} temp {q.hyperparameter(k, 'temp'):g}; "
            f"{scale} on {scales.NOTE_NAMES[root]}; target {target}")
    return "\n".join(lines)


def mean_reward_said(piece) -> str:
    """The agents' mean reward as the lines below it show it: the mean over the agents that
    have played an episode of each one's last reward, unclipped (the drone's measure is
    clipped to 0..1 and smoothed over seconds: said apart)."""
    q = piece.learner
    played = [k for k in range(AGENTS) if q.agent(k).episodes > 0]
    if not played:
        return "no episode yet"
    mean = sum(q.agent(k).reward for k in played) / len(played)
    return f"mean reward {mean:.2f} (last episodes), drone at {piece.sound.progress:.2f}"


def settings_said(piece, k: int) -> str:
    """The settings the performer set for agent ``k``: ``a0.eps 0.3, a0.stubborn on``."""
    out = []
    for i, name in enumerate(SETTINGS):
        value = piece.agent_settings[k, i]
        if not math.isnan(value):
            shown = ("on" if value else "off") if name == "stubborn" else f"{value:g}"
            out.append(f"{AGENT_NAMES[k]}.{name} {shown}")
    return ", ".join(out)


def describe(piece, cmd) -> str | None:
    """The state a command leaves, side effects said (main thread, before the hook runs it);
    None: the console says the command's help."""
    name, args = cmd.name, cmd.args
    q = piece.learner
    if name == "rec":
        who = "every agent takes" if args[0] == "all" else f"{args[0]} takes"
        return f"rec {args[0]}: {who} the next phrase played as its target"
    if name == "tempo":
        return f"tempo {args[0]:g} bpm (was {piece.tempo_bpm:g})"
    if name == "reset":
        return _reset_said(piece, args[0])
    if name == "freeze":
        mode = args[1] if len(args) > 1 else True
        pedal = ("; the sustain pedal is down: every agent stays frozen"
                 if piece._pedal and not mode else "")
        return (f"freeze {args[0]}: plays its best notes and learns nothing" if mode
                else f"freeze {args[0]} off: learns again{pedal}")
    if name == "seed":
        return f"seed {args[0]}: every agent's generator reseeded; nothing learned is lost"
    if name == "ring":
        n = int(args[0])
        return (f"ring {n}: every {n} episodes each agent copies its neighbour" if n
                else f"ring off (was every {piece.ring_every})" if piece.ring_every
                else "ring off")
    if name == "map":
        control, target = args
        if target == "off":
            return f"map {control} off: the controller moves nothing"
        setting = target.partition(".")[2]
        low, high = HYPER_RANGES[setting]
        return f"map {control} {target}: the controller moves it from {low:g} to {high:g}"
    if name == "teacher":
        if not args[0]:
            return "teacher off"
        if not piece.teacher_steps:
            return "teacher on: nothing taught yet; it plays the next phrase taught"
        notes = " ".join(note_name(int(p))
                         for p in piece.teacher_phrase[0, :piece.teacher_steps])
        return f"teacher on: a quiet voice plays {notes}"
    if name.endswith(".stubborn"):
        alpha = q.hyperparameter(cmd.spec.bound[0], "alpha")
        return (f"{name} {'on' if args[0] else 'off'}: steps "
                + ("1/n" if args[0] else f"alpha {alpha:g}")
                + " from its next note (kept over a reset)")
    if cmd.spec.handler == "cmd_hyper":
        k, setting = cmd.spec.bound
        return (f"{name} {args[0]:g} (was {q.hyperparameter(k, setting):g}), from its "
                "next note; kept over a reset"
                + ("; stubborn steps off" if setting == "alpha" and q.agent(k).stubborn
                   else ""))
    return None


def _reset_said(piece, which: str) -> str:
    agents = list(agents_of(which))
    episodes = ", ".join(f"{AGENT_NAMES[k]} at episode {piece.learner.agent(k).episodes}"
                         for k in agents)
    kept = "; ".join(settings_said(piece, k) for k in agents if settings_said(piece, k))
    one = len(agents) == 1
    return (f"reset {which}: {'forgets' if one else 'forget'} what "
            f"{'it' if one else 'they'} learned ({episodes}: from episode 0 again); "
            f"{'its target and scale stay' if one else 'their targets and scales stay'}"
            ", and " + (f"the settings you set stay ({kept})" if kept else
                        f"{'its' if one else 'their'} settings are the defaults "
                        "(none set)"))


def signals(piece) -> dict[str, float]:
    """The drone's measure, and each agent's exploration and episodes (logged over time)."""
    out = {"progress": piece.sound.progress}
    for k, name in enumerate(AGENT_NAMES):
        agent = piece.learner.agent(k)
        out[f"eps.{name}"] = agent.eps
        out[f"episodes.{name}"] = float(agent.episodes)
    return out


def outputs(record: dict) -> dict[str, float]:
    """What is sent over OSC when it changes, from a published record (any thread)."""
    out = {"progress": record["progress"]}
    for k, name in enumerate(AGENT_NAMES):
        out[f"episodes/{name}"] = float(record["episodes"][k])
    return out


class Chronicle:
    """What happened, told once each (main thread, at each tick): every finished episode as
    curves (``series``: ``reward.a0``... one value per episode) and OSC messages, every copy
    the audio thread made (``copied``) as a log line, and the news lines for the performer."""

    def __init__(self):
        self.series: dict[str, list[float]] = {}  # per-episode curves
        self.osc_queue: collections.deque = collections.deque()  # per-episode messages
        self.news: collections.deque = collections.deque(maxlen=16)  # for the performer
        self._copies: collections.deque = collections.deque()  # (time_s, dst, src)

    def copied(self, time_s: float, dst: int, src: int) -> None:
        """Audio thread: agent ``dst`` took agent ``src``'s notes at ``time_s``."""
        self._copies.append((time_s, dst, src))

    def collect(self, learner, log: list[dict]) -> None:
        """The episodes ``learner`` finished since the last call, and the copies made."""
        for k, reward, correct, silent, t_s in learner.episodes():
            agent = AGENT_NAMES[k]
            for key, value in ((f"reward.{agent}", reward), (f"correct.{agent}", correct),
                               (f"time_s.{agent}", t_s), (f"silent.{agent}", float(silent))):
                self.series.setdefault(key, []).append(round(value, 6))
            self.osc_queue.append((f"reward/{agent}", reward))
            self.osc_queue.append((f"correct/{agent}", correct))
        while self._copies:
            t_s, dst, src = self._copies.popleft()
            log.append({"time_s": round(t_s, 6), "copy": AGENT_NAMES[dst],
                        "from": AGENT_NAMES[src]})

    def osc_events(self) -> list[tuple[str, float]]:
        """Messages to send once each (per episode: reward/<agent>, correct/<agent>)."""
        out = []
        while self.osc_queue:
            out.append(self.osc_queue.popleft())
        return out

    def gather(self, repeats) -> None:
        """The news lines into the piece's limiter: each line its own kind (the same phrase
        taken again and again in a second is one line, counted)."""
        while self.news:
            line = self.news.popleft()
            repeats.add(line, line)
