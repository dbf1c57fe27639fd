"""A refusal from the hub in the reader's words.

The hub raises a person-readable refusal as a template and its values (`hub.errors.HubError`);
the template is a msgid of this console's catalog. Here it is translated, and its values are
put in words too: a state code becomes its label, a unit id the unit's name, so a duty
operator reads "派单 … 已办结，不能撤销", not "order … is done; it cannot be cancelled".
An error raised with a plain message (no template values) is still translated when the
catalog knows it, and shown as it is otherwise: it is never hidden.
"""

from __future__ import annotations

from flask_babel import gettext

from hub.console.present import label, registry_name
from hub.errors import HubError

REFUSAL_CLASSES = ("Conflict", "NotFound", "RollcallCheckError")
"""The exception names whose first argument is a catalog msgid (for the extraction test and
`pybabel extract -k`): docs/console.md, Translations."""


def _value(key: str, value: object) -> object:
    if key == "state":
        return label(value)
    if key == "unit" and isinstance(value, str):
        return registry_name("unit", value, value)
    return value


def refusal(exc: Exception) -> str:
    """Why the hub said no, in the reader's language."""
    if not isinstance(exc, HubError) or not exc.template:
        return str(exc)
    values = {k: _value(k, v) for k, v in exc.values.items()}
    return str(gettext(exc.template, **values))
