"""Figures other apps add to the content-team assessment (interaction.analytics).

The assessment lives in `interaction`; an app on the same layer (publications: the
manuscripts a team submitted and had adopted) may not import it, nor it them. Such an app
registers a `TeamFigures` here from its AppConfig.ready(); the assessment asks every
registered one for its figures per team (publishing unit) in the subtree and period, and
shows them next to its own. Each provider answers with ONE query over the subtree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

_PROVIDERS: dict[str, TeamFigures] = {}


@dataclass(frozen=True)
class TeamFigures:
    code: str
    label: str
    #: (key, label) of each figure, in display order
    columns: tuple[tuple[str, str], ...]
    #: (subtree path, start, end) → {team (unit) id: {"team": name, "team_code": code,
    #: key: value …}}; one query
    compute: Callable[[str, dt.datetime, dt.datetime], dict[int, dict]]


def register(figures: TeamFigures) -> TeamFigures:
    existing = _PROVIDERS.get(figures.code)
    if existing is not None and existing != figures:
        raise ValueError(f"assessment figures {figures.code!r} registered twice")
    _PROVIDERS[figures.code] = figures
    return figures


def providers() -> list[TeamFigures]:
    return [_PROVIDERS[c] for c in sorted(_PROVIDERS)]


def _section(p: TeamFigures, path: str, start: dt.datetime, end: dt.datetime) -> dict:
    teams = p.compute(path, start, end)
    return {
        "code": p.code,
        "label": p.label,
        "columns": [{"key": k, "label": label} for k, label in p.columns],
        "rows": [
            {
                "team_id": team_id,
                "team": t["team"],
                "team_code": t["team_code"],
                "values": [t[k] for k, _ in p.columns],
            }
            for team_id, t in teams.items()
        ],
    }


def team_figures(path: str, start: dt.datetime, end: dt.datetime) -> list[dict]:
    """[{code, label, columns: [{key, label}], rows: [{team_id, team, team_code,
    values}]}] — one section per registered provider, its rows in the provider's order."""
    return [_section(p, path, start, end) for p in providers()]
