"""The records pieces publish and scenes draw, one module a piece (``ldd``, ``ruler``): each
declares its record's fields once (``layout``), says how a piece's state fills it, and makes
:func:`example` records for the tests and the frame bench. Here, below the pieces, so that both
the piece that writes a record and the scene that reads it import it. Pure: numpy and the
learners."""
