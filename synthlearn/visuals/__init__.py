"""Visuals: numba raster and warp kernels, video sources, the pygame window and video files,
and scenes/ (what each piece looks like). The only place pygame is imported."""
