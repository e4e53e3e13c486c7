"""Loading model files for a scene: glTF/GLB through panda3d-gltf, anything else via Panda3D.

glTF goes to panda3d-gltf explicitly rather than through Panda3D's loader registry: when both
panda3d-gltf and Panda3D's own Assimp plugin claim ``.glb``, which one the registry picks
varies from process to process, and Assimp leaves the model Y-up (a column lying on its side).
Panda3D's on-disk model cache would then keep the wrong one for every later run, so glTF files
bypass it too; a per-build cache still loads a model used by many entities only once.
"""

from __future__ import annotations

from pathlib import Path

import gltf
from direct.showbase.Loader import Loader
from panda3d.core import Filename, NodePath

GLTF_SUFFIXES = frozenset({".gltf", ".glb"})


class ModelFiles:
    """Loads each model file once per scene build and hands out independent copies."""

    def __init__(self, loader: Loader) -> None:
        """Use ``loader`` (the app's) for the formats panda3d-gltf does not read."""
        self.loader = loader
        self._loaded: dict[Path, NodePath] = {}

    def load(self, path: Path) -> NodePath:
        """A fresh copy of the model at ``path``.

        Raises:
            OSError, RuntimeError, ValueError: the file could not be read or converted.
        """
        original = self._loaded.get(path)
        if original is None:
            original = self._read(path)
            self._loaded[path] = original
        return original.copy_to(NodePath())

    def _read(self, path: Path) -> NodePath:
        filename = Filename.from_os_specific(str(path))
        if path.suffix.lower() in GLTF_SUFFIXES:
            try:
                return NodePath(gltf.load_model(filename, gltf.GltfSettings()))
            except OSError:
                raise
            except Exception as exc:
                # the converter meets a damaged file with whatever its parser raised (KeyError,
                # struct.error, AssertionError...): one kind of error for the builder to report
                raise RuntimeError(
                    f"not a readable glTF file ({type(exc).__name__}: {exc})"
                ) from exc
        return self.loader.load_model(filename, noCache=True)
