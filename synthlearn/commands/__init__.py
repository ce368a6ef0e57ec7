"""The command language and its front-ends: the language (typed specs bound to handlers),
the console that dispatches every line (terminal, the window's line, OSC), scores, OSC. Pure but
for python-osc: the engine, pieces and runtime receive parsed commands."""
