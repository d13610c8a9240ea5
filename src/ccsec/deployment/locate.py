"""file:line for issues found after a clean load (the warnings of :func:`validate.advise`).

A clean document is read by the fast loader, which keeps no line numbers; warnings are rare,
so only when there is one is the document composed again — by libyaml through PyYAML when it
is installed, else by ruamel's composer — and each issue's path (``('hosts', 3, 'pair')``)
walked down the node tree to its line.  The field is named from the model, as errors name it
(``hosts[pg1-a].pair``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ccsec.deployment.demo import demo_text
from ccsec.deployment.model import Deployment
from ccsec.deployment.validate import Issue, Loc, describe
from ccsec.errors import Problem


def _compose(text: str) -> Any:
    """The document's node tree (every node has ``start_mark.line``), or None."""
    try:
        import yaml  # type: ignore[import-untyped,unused-ignore]  # PyYAML, optional

        loader_cls = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        return yaml.compose(text, Loader=loader_cls)
    except ImportError:
        pass
    except Exception:  # a document that loaded once composes again; lines are a bonus
        return None
    from ruamel.yaml import YAML

    try:
        return YAML(typ="safe", pure=True).compose(text)
    except Exception:  # lines are a bonus: the warning is shown without one
        return None


def _line(root: Any, loc: Loc) -> int:
    """The line of the deepest node on ``loc`` that the document has (1-based)."""
    node, line = root, root.start_mark.line + 1
    for part in loc:
        value = getattr(node, "value", None)
        if isinstance(part, int) and isinstance(value, list) and part < len(value) and \
                not isinstance(value[part], tuple):
            node = value[part]
            line = node.start_mark.line + 1
        elif isinstance(part, str) and isinstance(value, list):
            pair = next((kv for kv in value if isinstance(kv, tuple)
                         and getattr(kv[0], "value", None) == part), None)
            if pair is None:
                break
            line, node = pair[0].start_mark.line + 1, pair[1]
        else:
            break
    return line


def locate(issues: Sequence[Issue], dep: Deployment, source: str | Path) -> list[Problem]:
    """Each issue as a :class:`Problem` at its ``file:line`` and field (``source`` is the
    deployment file, or ``demo`` for the bundled example)."""
    if not issues:
        return []
    file = str(source)
    if file == "demo" and not Path(file).exists():
        text, file = demo_text(), "demo.yaml"
    else:
        try:
            text = Path(file).read_text(encoding="utf-8")
        except OSError:
            text = ""
    root = _compose(text) if text else None
    return [Problem(i.message, file, _line(root, i.loc) if root is not None else None,
                    describe(dep, i.loc), i.fix) for i in issues]
