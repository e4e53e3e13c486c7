"""Tests of the Panda3D scene layer: render tests that check pixels, headless."""
