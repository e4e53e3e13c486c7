"""Priors files: the fitted BKT parameters a lesson ships, as YAML.

```yaml
# BKT parameters fitted by `lesson fit` from 412 learners' sessions
version: 1
skills:
  pendulum-period: {prior: 0.3121, learn: 0.1402, guess: 0.1988, slip: 0.0987}
  measurement: {prior: 0.5512, learn: 0.2101, guess: 0.2213, slip: 0.0804}
evidence:
  pendulum-period: {learners: 412, opportunities: 1236}
```

Reading needs no numpy, so a lesson can load its priors in the runtime.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from adaptivity.bkt import BktParams

_DECIMALS = 4  # far below any fit's statistical error, and readable


def priors_to_yaml(
    priors: Mapping[str, BktParams],
    path: str | os.PathLike[str],
    *,
    evidence: Mapping[str, Mapping[str, int | float]] | None = None,
    comment: str = "",
) -> Path:
    """Write a priors file (atomically: a reader never sees half a file).

    Args:
        priors: Parameters per skill.
        path: The file to write.
        evidence: Per skill, how much data backed the fit (e.g. learners, opportunities).
        comment: A header comment (e.g. where the parameters came from).

    Returns:
        The path written.
    """
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap

    doc = CommentedMap()
    doc["version"] = 1
    skills = CommentedMap()
    for skill in sorted(priors):
        entry = CommentedMap(
            (k, round(float(v), _DECIMALS)) for k, v in priors[skill].to_dict().items()
        )
        entry.fa.set_flow_style()
        skills[skill] = entry
    doc["skills"] = skills
    if evidence:
        ev = CommentedMap()
        for skill in sorted(evidence):
            entry = CommentedMap((k, v) for k, v in evidence[skill].items())
            entry.fa.set_flow_style()
            ev[skill] = entry
        doc["evidence"] = ev
    if comment:
        doc.yaml_set_start_comment(comment)
    yaml = YAML()
    yaml.width = 100
    buf = io.StringIO()
    yaml.dump(doc, buf)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(buf.getvalue(), encoding="utf-8")
    os.replace(tmp, out)
    return out


def priors_from_yaml(path: str | os.PathLike[str]) -> dict[str, BktParams]:
    """Read a priors file written by :func:`priors_to_yaml` (or by hand).

    Raises:
        ValueError: The file is not a priors file or a skill's parameters are invalid (the
            message names the file and the skill).
    """
    from ruamel.yaml import YAML

    data: Any = YAML(typ="safe").load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, Mapping) or data.get("version") != 1:
        raise ValueError(f"{path}: not a priors file (expected 'version: 1' and 'skills')")
    skills = data.get("skills") or {}
    if not isinstance(skills, Mapping):
        raise ValueError(f"{path}: 'skills' must map skill ids to parameters")
    out: dict[str, BktParams] = {}
    for skill, params in skills.items():
        if not isinstance(params, Mapping):
            raise ValueError(f"{path}: skills.{skill}: expected prior, learn, guess, slip")
        try:
            out[str(skill)] = BktParams.from_dict(params)
        except ValueError as exc:
            raise ValueError(f"{path}: skills.{skill}: {exc}") from None
    return out
