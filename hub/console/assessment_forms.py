"""The 考核 pages' forms (flask-wtf, so each carries the CSRF token).

Only the shape of a post is checked here (which choices exist, lengths); whether a record
makes sense (a satisfaction only when the caller was reached, an appeal with a reason) is
checked once, by `hub.assessment.spotcheck.SpotChecks`, whose message the page shows.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (  # type: ignore[import-untyped]
    DateField,
    HiddenField,
    SelectField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (  # type: ignore[import-untyped]
    AnyOf,
    DataRequired,
    Length,
    Optional,
)

from hub.console.forms import REQUIRED, options

REMARK_MAX = 2000
SATISFACTION = {
    "1": _l("1 dissatisfied"),
    "2": _l("2 fairly satisfied"),
    "3": _l("3 satisfied"),
    "4": _l("4 very satisfied"),
}
KINDS = ("callback", "dress", "handling")


def _yes_no() -> list[object]:
    return options([("", "—"), ("yes", _l("yes")), ("no", _l("no"))])


class DayForm(FlaskForm):  # type: ignore[misc]
    """Draw one day's sample (the date is the Beijing date of dispatch)."""

    day = DateField(_l("Day"), validators=[DataRequired(REQUIRED)])
    submit = SubmitField(_l("Draw the day's sample"))


class FindingForm(FlaskForm):  # type: ignore[misc]
    """One finding (回访, 着装携装 or 现场处置), or a correction of one."""

    kind = HiddenField(validators=[AnyOf(KINDS)])
    reached = SelectField(_l("Caller reached"), choices=_yes_no(), validators=[Optional()])
    satisfaction = SelectField(
        _l("Satisfaction"),
        choices=options([("", "—"), *SATISFACTION.items()]),
        validators=[Optional()],
    )
    ok = SelectField(_l("In order"), choices=_yes_no(), validators=[Optional()])
    remark = TextAreaField(_l("Remark"), validators=[Optional(), Length(max=REMARK_MAX)])
    submit = SubmitField(_l("Record"))


class AppealForm(FlaskForm):  # type: ignore[misc]
    """An appeal (申诉) against a finding or a stage's late mark, filed for the unit."""

    target = HiddenField(validators=[DataRequired(REQUIRED), Length(max=80)])
    reason = TextAreaField(
        _l("Reason"), validators=[DataRequired(REQUIRED), Length(max=REMARK_MAX)]
    )
    submit = SubmitField(_l("File appeal"))


class DecideForm(FlaskForm):  # type: ignore[misc]
    """The auditor's decision on an appeal; a later decision replaces an earlier one."""

    upheld = SelectField(
        _l("Decision"),
        choices=options([("yes", _l("upheld")), ("no", _l("rejected"))]),
        validators=[AnyOf(("yes", "no"))],
    )
    remark = TextAreaField(_l("Remark"), validators=[Optional(), Length(max=REMARK_MAX)])
    submit = SubmitField(_l("Decide"))
