"""What each piece looks like: a scene draws a piece's published record into an (H, W, 3)
uint8 frame (``ldd``: fits, knots and warped video; ``partials``: the sounding partials)."""
