"""Custom components: what the format can't say, added by third-party packages.

A package registers a component through the ``peripatos.components`` entry point group; the
entry point names a :class:`ComponentType`::

    # pyproject.toml of the plugin
    [project.entry-points."peripatos.components"]
    spinner = "peripatos_spinner:SPINNER"

    # peripatos_spinner/__init__.py
    class SpinnerProps(BaseModel):
        rpm: float = 10.0

    class Spinner:                      # the behaviour: init / update / tick / remove
        def __init__(self, entity: str, props: SpinnerProps, runtime) -> None: ...
        def update(self, old: SpinnerProps) -> None: ...
        def tick(self, dt: float) -> None: ...
        def remove(self) -> None: ...
        def properties(self) -> dict[str, float]: ...

    SPINNER = ComponentType("spinner", SpinnerProps, Spinner, properties={"angle": Prop("angle")})

A lesson then writes ``custom: {spinner: {rpm: 30}}`` on an entity; the linter validates
the props with the schema (located errors) and the runtime drives the behaviour. Pure Python.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

from pydantic import BaseModel

from engine.model.components import COMPONENTS, Prop

#: the entry point group plugins register their components under
ENTRY_POINT_GROUP = "peripatos.components"


@dataclass(frozen=True)
class ComponentType:
    """A custom component: its name, props schema, behaviour factory and contract.

    Attributes:
        name: the key authors write under ``components:``.
        schema: a pydantic model of the props.
        behaviour: called as ``behaviour(entity_id, props, runtime)``; the object may define
            ``update(old_props)``, ``tick(dt)`` (with a ``ticking`` property to say when it
            has work), ``remove()``, ``properties() -> dict[str, float]``, ``call(action)``.
        properties: readable properties (checked by the linter like built-in ones).
        actions: names a button may ``call`` on it.
    """

    name: str
    schema: type[BaseModel]
    behaviour: Callable[..., Any]
    properties: Mapping[str, Prop] = field(default_factory=dict)
    actions: frozenset[str] = frozenset()


class ComponentRegistry:
    """Custom components by name: plugins' entry points plus programmatic registrations."""

    def __init__(self) -> None:
        self._types: dict[str, ComponentType] = {}
        self._loaded = False
        self.errors: list[str] = []

    def _load(self) -> None:
        # entry points are read once, on first use, never at import time
        self._loaded = True
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            try:
                obj = ep.load()
            except Exception as exc:  # a broken plugin must not break every lesson
                self.errors.append(f"component plugin '{ep.name}' ({ep.value}) failed: {exc}")
                continue
            if not isinstance(obj, ComponentType):
                self.errors.append(f"'{ep.value}' is not a ComponentType")
                continue
            self.register(obj)

    def register(self, component: ComponentType) -> None:
        """Add a component (a built-in name cannot be replaced)."""
        if component.name in COMPONENTS or component.name == "balance":
            raise ValueError(f"'{component.name}' is a built-in component")
        self._types[component.name] = component

    def get(self, name: str) -> ComponentType | None:
        """The component called ``name``, if registered."""
        if not self._loaded:
            self._load()
        return self._types.get(name)

    def names(self) -> list[str]:
        """Every registered name."""
        if not self._loaded:
            self._load()
        return sorted(self._types)


#: the process's registry (entry points are only read when a lesson first uses `components`)
REGISTRY = ComponentRegistry()


def custom_properties(entity: Any) -> dict[str, Prop]:
    """The readable (and settable) properties an entity's custom components declare."""
    props: dict[str, Prop] = {}
    for name in entity.custom:
        spec = REGISTRY.get(name)
        if spec is not None:
            # the schema's props can be set by buttons; declared properties can be read
            props.update({f: Prop(None, True) for f in spec.schema.model_fields})
            props.update(spec.properties)
    return props


def custom_actions(entity: Any) -> set[str]:
    """The actions an entity's custom components offer to buttons."""
    return {a for name in entity.custom if (spec := REGISTRY.get(name)) for a in spec.actions}


def check_custom(
    entities: list[Any], locate: Callable[..., tuple[int, int]]
) -> list[tuple[int, int, str, str]]:
    """Problems with entities' custom components, as (line, column, code, message).

    Args:
        entities: the lesson's entities.
        locate: maps a pydantic-style location to (line, column) in the file
            (``SourceMap.position``; ``key=True`` points at a mapping key).
    """
    from pydantic import ValidationError

    from engine.model.diagnostics import did_you_mean

    problems: list[tuple[int, int, str, str]] = []
    for i, entity in enumerate(entities):
        for name, props in entity.custom.items():
            loc: tuple[str | int, ...] = ("entities", i, "custom", name)
            spec = REGISTRY.get(name)
            if spec is None:
                known = REGISTRY.names()
                hint = did_you_mean(name, known) or (
                    f"; installed: {', '.join(known)}" if known else "; no plugin is installed"
                )
                line, col = locate(loc, key=True)
                problems.append((line, col, "unknown-component", f"no component '{name}'{hint}"))
                continue
            try:
                spec.schema.model_validate(props or {})
            except ValidationError as exc:
                for err in exc.errors(include_url=False):
                    where = ".".join(str(p) for p in err["loc"])
                    line, col = locate((*loc, *err["loc"]))
                    problems.append((line, col, "bad-value", f"{name}.{where}: {err['msg']}"))
    return problems
