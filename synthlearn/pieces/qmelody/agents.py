"""qmelody's agents by name, and what a performer sets for each (``a0.eps 0.3``)."""

from __future__ import annotations

from synthlearn.visuals.records.qmelody import AGENTS

AGENT_NAMES = tuple(f"a{k}" for k in range(AGENTS))
AGENT_CHOICES = (*AGENT_NAMES, "all")
HYPER_RANGES = {"eps": (0.0, 1.0), "alpha": (0.0, 1.0), "gamma": (0.0, 1.0),
                "temp": (0.0, 2.0), "decay": (0.0, 1.0), "floor": (0.0, 1.0),
                "sharpness": (0.25, 12.0), "penalty": (0.0, 1.0)}
SETTINGS = (*HYPER_RANGES, "stubborn")  # what the performer sets per agent; reset keeps them


def agents_of(which: str) -> range:
    """The agents a command names: ``a1`` or ``all``."""
    return range(AGENTS) if which == "all" else range(AGENT_NAMES.index(which),
                                                      AGENT_NAMES.index(which) + 1)
