"""Located problems in a lesson file, printed as ``path:line:column: code: message``.

Codes are stable kebab-case names; tests and the authoring guide refer to them. Lines and
columns are 1-based, as editors show them.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]

#: every code the validator emits, with what it means (the authoring guide lists these)
CODES: dict[str, str] = {
    "yaml-syntax": "the file is not valid YAML",
    "not-a-lesson": "the file's top level is not a mapping of lesson sections",
    "unknown-key": "a key the format does not have (often a typo)",
    "missing-key": "a required key is absent",
    "bad-value": "a value of the wrong type or out of range",
    "bad-unit": "a quantity with an unknown unit or a unit of the wrong kind",
    "duplicate-id": "two entities, steps, questions, knobs, skills or choices share an id",
    "unknown-entity": "a reference to an entity that does not exist",
    "unknown-question": "a reference to a question that does not exist",
    "unknown-knob": "a reference to a difficulty knob that does not exist",
    "unknown-skill": "a skill tag not declared in metadata.skills",
    "unknown-property": "a reference to a simulated property the entity does not have",
    "unknown-component": "a custom component no installed plugin provides",
    "missing-asset": "a model or texture file that is not under assets/",
    "wrong-component": "a reference to an entity that lacks the component it needs",
    "never-completes": "a step whose completion condition can never (or hardly ever) become true",
    "unused": "a question, skill, knob, knob level or narration that nothing uses (warning)",
    "schema-comment": "the first line is not the yaml-language-server schema comment",
    # lint rules (engine.model.lint): warnings, each silenced by lint: {ignore: [code]}
    "no-captions": "a narration without explicit caption lines (warning)",
    "out-of-reach": "a grabbable, button or snap zone a seated learner cannot reach (warning)",
    "small-text": "text too small to read from where the learner will be (warning)",
    "low-contrast": "label text below WCAG AA contrast (4.5:1) against its card (warning)",
    "triangle-budget": "more triangles than the lesson's budget (warning)",
    "texture-budget": "more texture memory than the lesson's budget (warning)",
    "texture-size": "a texture over 2048 px on a side, or not a power of two (warning)",
    "bad-asset": "a model or texture that exists but cannot be read (warning)",
    "lint-ignore": "lint.ignore names a code that does not exist (warning)",
}


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem, located in a file."""

    path: str
    line: int
    column: int
    code: str
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        tag = "" if self.severity == "error" else " (warning)"
        return f"{self.path}:{self.line}:{self.column}: {self.code}{tag}: {self.message}"


class LessonError(Exception):
    """A lesson that cannot be loaded; carries every diagnostic found."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics = sorted(diagnostics)
        super().__init__("\n".join(str(d) for d in self.diagnostics))


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """A ``"; did you mean 'x'?"`` suffix when a close candidate exists, else ``""``."""
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""
