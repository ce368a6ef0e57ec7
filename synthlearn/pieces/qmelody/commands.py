"""qmelody's commands: each spec (what a performer types, where it runs) beside its handler.

Handlers run in the audio thread unless the spec says otherwise; the main-thread ones (teach,
scale, copy, practice) check and prepare, then queue a job (``jobs``) the hook applies at its
next block. :class:`Commands` is the piece's half that holds the handlers.
"""

from __future__ import annotations

import math

from synthlearn.commands.language import Param, Spec, Touch, Where
from synthlearn.errors import UserError
from synthlearn.events import CC_SUSTAIN
from synthlearn.learners.qlearning import MAX_STEPS
from synthlearn.mappings import phrase as phrases
from synthlearn.mappings import scales
from synthlearn.pieces.qmelody import jobs, report
from synthlearn.pieces.qmelody.agents import (
    AGENT_CHOICES,
    AGENT_NAMES,
    AGENTS,
    HYPER_RANGES,
    SETTINGS,
    agents_of,
)

CONTROLS = tuple(f"cc{n}" for n in range(128) if n != CC_SUSTAIN)  # the pedal freezes
MAP_TARGETS = (*(f"{a}.{h}" for a in AGENT_NAMES for h in HYPER_RANGES), "off")


def _hyper_specs() -> tuple[Spec, ...]:
    specs = []
    for k, agent in enumerate(AGENT_NAMES):
        for name, (low, high) in HYPER_RANGES.items():
            specs.append(Spec(f"{agent}.{name}", (Param("value", "float", low, high),),
                              f"agent {agent}'s {name}, from its next note",
                              handler_name="cmd_hyper", bound=(k, name)))
        specs.append(Spec(f"{agent}.stubborn", (Param("mode", "onoff"),),
                          f"agent {agent}'s steps 1/n (on) or alpha (off)",
                          handler_name="cmd_stubborn", bound=(k,)))
    return tuple(specs)


SPECS = (
    Spec("rec", (Param("agent", "choice", choices=AGENT_CHOICES),),
         "the next phrase played becomes this agent's target (all: every agent's)"),
    Spec("teach", (Param("agent", "choice", choices=AGENT_CHOICES),
                   Param("notes", "word", example="c4,e4,g4,e4,c4")),
         "give a target typed as notes: teach a0 c4,e4*4,r,g4 (*N: sixteenths; r: rest)",
         where=Where.MAIN),
    Spec("tempo", (Param("bpm", "float", 20.0, 300.0),), "the beat the agents play to"),
    Spec("scale", (Param("name", "choice", choices=scales.NAMES),
                   Param("root", "choice", choices=scales.NOTE_NAMES, optional=True)),
         "the notes the agents choose from: scale dorian d (auto: fitted to each target)",
         where=Where.MAIN),
    Spec("reset", (Param("agent", "choice", choices=AGENT_CHOICES),),
         "the agent forgets all it learned (its target stays)", touches=Touch.SHOW),
    Spec("freeze", (Param("agent", "choice", choices=AGENT_CHOICES),
                    Param("mode", "onoff", optional=True, default=True)),
         "the agent plays its best notes and learns nothing (freeze a0 off: learns again)"),
    Spec("seed", (Param("n", "int", 0, 2**32 - 1),), "reseed every agent's generator"),
    Spec("copy", (Param("agent", "choice", choices=AGENT_NAMES),
                  Param("source", "choice", choices=AGENT_NAMES)),
         "copy a1 a0: a1 learns what a0 plays now, its mistakes included",
         where=Where.MAIN),
    Spec("ring", (Param("episodes", "int", 0, 10000),),
         "every N episodes each agent copies its neighbour (0: off)"),
    Spec("map", (Param("control", "choice", choices=CONTROLS, shown="ccN",
                       example="cc20"),
                 Param("target", "choice", choices=MAP_TARGETS, shown="aK.NAME|off",
                       example="a0.eps")),
         "a MIDI controller moves a hyperparameter: map cc20 a0.eps (map cc20 off)"),
    Spec("practice", (Param("agent", "choice", choices=AGENT_CHOICES),
                      Param("episodes", "int", 1, 100000)),
         "silent episodes, spread over blocks; then the agent plays again",
         where=Where.MAIN),
    Spec("teacher", (Param("mode", "onoff"),),
         "a quiet voice plays the last phrase taught"),
    Spec("agents", (), "each agent's episodes, reward, correct notes and settings",
         where=Where.NOW),
    *_hyper_specs(),
)


class Commands:
    """The handlers of :data:`SPECS` (the piece's methods; audio thread unless marked)."""

    def cmd_rec(self, agent: str) -> None:
        for k in agents_of(agent):
            self.armed[k] = True
            self._arms[k] += 1

    def cmd_teach(self, agent: str, notes: str) -> str:
        """Main thread: parse, work out, hand to the audio thread."""
        try:
            phrase = phrases.parse_typed(notes, MAX_STEPS)
        except ValueError as exc:
            raise UserError(f"teach: {exc}") from None
        for k in agents_of(agent):
            self._give(k, phrase)
        self._recent.append(f"teach {agent} {notes}")
        self.log.append({"time_s": round(self._now_smp / self._sr, 6),
                         "phrase": list(phrase.pitches), "steps": list(phrase.steps),
                         "agents": [AGENT_NAMES[k] for k in agents_of(agent)]})
        return report.learns(agents_of(agent), phrase)

    def cmd_tempo(self, bpm: float) -> None:
        self.tempo_bpm = float(bpm)

    def cmd_scale(self, name: str, root: str | None = None) -> str:
        """Main thread: work the new actions out, hand them to the audio thread."""
        places = self.learner.prepare_scale(name, None if root is None else scales.root_pc(root))
        for k, place in enumerate(places):
            self._pending.append(jobs.Scale(k, place))
        self._recent.append(f"scale {name}" + (f" {root}" if root else ""))
        return f"scale {name}" + (f" on {root}" if root else "")

    def cmd_reset(self, agent: str) -> None:
        for k in agents_of(agent):
            self.learner.forget(k)  # the learning, and the hyperparameters with it...
            self._apply_settings(k)  # ...but the settings the performer set are kept
            self.learner.freeze(k, bool(self.frozen[k]) or self._pedal)

    def _apply_settings(self, k: int) -> None:
        for i, name in enumerate(SETTINGS):
            value = self.agent_settings[k, i]
            if math.isnan(value):
                continue
            if name == "stubborn":
                self.learner.set_stubborn(k, bool(value))
            else:
                self.learner.set_hyperparameter(k, name, value)

    def cmd_freeze(self, agent: str, mode: bool = True) -> None:
        for k in agents_of(agent):
            self.frozen[k] = mode
            self.learner.freeze(k, mode or self._pedal)

    def cmd_seed(self, n: int) -> None:
        self.learner.reseed(int(n))

    def cmd_copy(self, agent: str, source: str) -> str:
        """Main thread: checked here, done by the audio thread at its next block."""
        dst, src = AGENT_NAMES.index(agent), AGENT_NAMES.index(source)
        if not self._given[src]:
            raise UserError(f"copy: {source} has nothing to play yet")
        self._given[dst] = True
        self._pending.append(jobs.Copy(dst, src))
        self._recent.append(f"copy {agent} {source}")
        return f"{agent} learns what {source} plays now"

    def cmd_ring(self, episodes: int) -> None:
        self.ring_every = int(episodes)
        self._since_ring[:] = 0

    def cmd_map(self, control: str, target: str) -> None:
        number = int(control.removeprefix("cc"))
        if target == "off":
            self.cc_map[number] = -1
            return
        agent, _, name = target.partition(".")
        self.cc_map[number] = AGENT_NAMES.index(agent) * 64 + list(HYPER_RANGES).index(name)

    def cmd_practice(self, agent: str, episodes: int) -> str:
        """Main thread: checked here, spread over blocks by the audio thread."""
        chosen = list(agents_of(agent))
        idle = [AGENT_NAMES[k] for k in chosen if not self._given[k]]
        if idle:
            raise UserError(f"practice: {', '.join(idle)} has no target yet")
        for k in chosen:
            self._pending.append(jobs.Practice(k, int(episodes)))
        self._recent.append(f"practice {agent} {episodes}")
        return f"{agent} practises {episodes} episodes"

    def cmd_teacher(self, mode: bool) -> None:
        self.teacher = mode
        if mode:
            grid = self.grid_smp
            self._teacher_next_smp = math.ceil(self._now_smp / grid) * grid
            self._teacher_step = 0
        else:
            self.sound.teacher_off()

    def cmd_hyper(self, k: int, name: str, value: float) -> None:
        self.learner.set_hyperparameter(k, name, value)
        self.agent_settings[k, SETTINGS.index(name)] = value
        if name == "alpha":  # setting alpha ends stubborn steps
            self.agent_settings[k, SETTINGS.index("stubborn")] = 0.0

    def cmd_stubborn(self, k: int, mode: bool) -> None:
        self.learner.set_stubborn(k, mode)
        self.agent_settings[k, SETTINGS.index("stubborn")] = float(mode)

    def _control(self, number: int, value: int) -> None:
        """A controller moved (audio thread): the pedal freezes every agent while it is down;
        a mapped one (``map``) moves its hyperparameter across its range."""
        self._version += 1  # the pedal freezes, a mapped controller moves a hyperparameter
        if number == CC_SUSTAIN:
            self._pedal = value >= 64
            for k in range(AGENTS):
                self.learner.freeze(k, bool(self.frozen[k]) or self._pedal)
            return
        target = self.cc_map[number]
        if target >= 0:
            k, index = divmod(int(target), 64)
            name = SETTINGS[index]
            low, high = HYPER_RANGES[name]
            self.cmd_hyper(k, name, low + (high - low) * value / 127.0)

    def cmd_agents(self) -> str:
        return report.agents_lines(self)

    def describe(self, cmd) -> str | None:
        return report.describe(self, cmd)
