"""``qmelody``: learning the art. Q-learning agents learn a melody by trial and error, and every
episode, and the learning curve, is heard.

A phrase played (MIDI, the computer keyboard, a MIDI file, or typed with ``teach``) becomes the
target of the agents that are armed: an agent with no target is armed, ``rec a1`` arms a1 for
the next phrase. A phrase ends at a silence of two beats; it is quantised to sixteenths at the
tempo. Each agent then plays the phrase's rhythm again and again, one episode per pass,
choosing every note itself and learning from how close it came (``synthlearn.learners.
qlearning``), its Q updates stepping in the block hook at each note boundary.

What is heard (``sound``): each agent a voice of its own timbre and place (left, centre,
right); a note it chose greedily sounds clean, an exploratory one rough (its overtones 3 %
sharp). Under them the learning curve: a drone whose upper voice moves from a semitone cluster
to a pure fifth as the agents' mean reward rises; a drum hit whose loudness is the TD error; a
bell when an episode is perfect; and, with ``teacher on``, a quiet voice playing the last phrase
taught.

The piece keeps its own clock (the samples it has played): a piece switched away from is
paused (no agent plays or learns), and its place is saved with what it learned (each agent's
place in its phrase and its note, the teacher, the drone, the curves), so switched back to, or
resumed, it goes on where it was.

Faithful mode: the hackathon's three agents and melodies (C E G E C, E G B G E, G B D B G), a
note every 0.2 s and 0.3 s between episodes as its SuperCollider player, 100 episodes each,
then two rounds in which each agent learns its neighbour's melody.

The package, a module a job: ``piece`` (the Piece: the agents' clock and rhythm, wired to the
rest), ``commands`` (each command's spec and handler), ``jobs`` (what the main thread hands the
audio thread, each job applying itself), ``recorder`` (the phrase being played), ``sound`` (the
voice pools and what they sound), ``state`` (the scene's record and the autosave's layout),
``report`` (status, agents' lines, replies, news) and ``agents`` (the agents and their settings
by name). The scene's record is declared in ``synthlearn.visuals.records.qmelody``.
"""

from synthlearn.pieces.qmelody.agents import AGENT_NAMES, AGENTS
from synthlearn.pieces.qmelody.piece import Qmelody

__all__ = ["AGENTS", "AGENT_NAMES", "Qmelody"]
