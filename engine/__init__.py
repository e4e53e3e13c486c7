"""Peripatos: the immersive lesson engine (lesson model, pure runtime, scene, rigs)."""

__version__ = "0.1.0"
