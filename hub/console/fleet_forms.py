"""Forms of the fleet page (software updates, docs/updates.md)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (  # type: ignore[import-untyped]
    BooleanField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import (  # type: ignore[import-untyped]
    DataRequired,
    Length,
    NumberRange,
    Optional,
)

from hub.console.forms import REQUIRED


class RolloutForm(FlaskForm):  # type: ignore[misc]
    """Start a rollout: the release and the canary units that get it first."""

    version = SelectField(_l("Release"), validators=[DataRequired(REQUIRED)])
    canary = SelectMultipleField(_l("Canary units"), validators=[DataRequired(REQUIRED)])
    allow_downgrade = BooleanField(_l("Allow an older version (downgrade)"))
    submit = SubmitField(_l("Start rollout"))


class AdvanceForm(FlaskForm):  # type: ignore[misc]
    """The next stage: a share of the fleet, or all units."""

    percent = IntegerField(
        _l("Share of units (%)"), validators=[Optional(), NumberRange(min=1, max=99)]
    )
    to_all = BooleanField(_l("All units"))
    submit = SubmitField(_l("Advance"))


class HaltForm(FlaskForm):  # type: ignore[misc]
    reason = StringField(_l("Reason"), validators=[DataRequired(REQUIRED), Length(max=200)])
    submit = SubmitField(_l("Halt rollout"))
