"""The lesson format: pydantic models, units, the YAML loader and its located diagnostics.

Pure: imports nothing from Panda3D.
"""

from engine.model.diagnostics import Diagnostic, LessonError
from engine.model.lesson import Lesson
from engine.model.loader import LoadedLesson, load_lesson, validate_paths

__all__ = ["Diagnostic", "Lesson", "LessonError", "LoadedLesson", "load_lesson", "validate_paths"]
