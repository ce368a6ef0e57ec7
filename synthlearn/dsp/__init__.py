"""Pure signal kernels (numpy + numba, no pyo): they compute samples into arrays that the audio
layer hands to pyo."""
