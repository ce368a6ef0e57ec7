"""Visuals: scenes drawn into numpy frames; pygame windows and video files."""
