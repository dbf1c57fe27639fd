"""The console's forms (WTForms through flask-wtf, so every one carries a CSRF token).

Messages are English msgids marked for translation: the Chinese in
`translations/zh/LC_MESSAGES/messages.po` is what an operator sees by default, next to the
field it is about. Choices that come from the county registry are filled in by the view.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (  # type: ignore[import-untyped]
    FloatField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice  # type: ignore[import-untyped]
from wtforms.validators import (  # type: ignore[import-untyped]
    DataRequired,
    EqualTo,
    Length,
    NumberRange,
    Optional,
    Regexp,
)

from hub.console.present import LABELS
from hub.console.roles import ROLES

REQUIRED = _l("This field is required.")


def options(pairs: Iterable[tuple[str, object]]) -> list[SelectChoice]:
    """Select choices from (value, label) pairs (wtforms 3.3 deprecates bare tuples)."""
    return [SelectChoice(value, label) for value, label in pairs]


class LoginForm(FlaskForm):  # type: ignore[misc]
    """User name and password."""

    username = StringField(_l("User name"), validators=[DataRequired(REQUIRED), Length(max=32)])
    password = PasswordField(_l("Password"), validators=[DataRequired(REQUIRED), Length(max=200)])
    submit = SubmitField(_l("Log in"))


class PasswordForm(FlaskForm):  # type: ignore[misc]
    """Change one's own password (forced after a one-time password)."""

    old = PasswordField(_l("Current password"), validators=[DataRequired(REQUIRED)])
    new = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(REQUIRED),
            Length(min=10, max=200, message=_l("At least 10 characters.")),
        ],
    )
    repeat = PasswordField(
        _l("Repeat new password"),
        validators=[DataRequired(REQUIRED), EqualTo("new", message=_l("The passwords differ."))],
    )
    submit = SubmitField(_l("Change password"))


class EntryForm(FlaskForm):  # type: ignore[misc]
    """Manual entry at the dedicated seat (专门工作席位); goes through `service.intake`."""

    source_id = HiddenField()
    category = SelectField(_l("Category"), validators=[DataRequired(REQUIRED)])
    township = SelectField(_l("Township"), validators=[DataRequired(REQUIRED)])
    address = StringField(
        _l("Address"),
        validators=[
            DataRequired(REQUIRED),
            Length(max=200, message=_l("At most %(max)d characters.")),
        ],
    )
    caller_phone = StringField(
        _l("Caller phone"),
        validators=[
            Optional(),
            Regexp(r"^\+?[0-9][0-9 -]{4,19}$", message=_l("Digits only, 5 to 20.")),
        ],
    )
    summary = TextAreaField(
        _l("Summary"),
        validators=[
            DataRequired(REQUIRED),
            Length(max=1000, message=_l("At most %(max)d characters.")),
        ],
    )
    priority = SelectField(_l("Priority"), validators=[Optional()])
    arrive_min = IntegerField(
        _l("On-scene minutes (tier 2)"),
        validators=[
            Optional(),
            NumberRange(min=1, max=10080, message=_l("A whole number from 1 to 10080.")),
        ],
    )
    # Where exactly, when the address alone will not find it (a field, a stretch of road):
    # typed, or picked on the county map (static/pick.js fills these two fields).
    lat = FloatField(
        _l("Latitude"),
        validators=[
            Optional(),
            NumberRange(min=-90, max=90, message=_l("A latitude from -90 to 90.")),
        ],
    )
    lon = FloatField(
        _l("Longitude"),
        validators=[
            Optional(),
            NumberRange(min=-180, max=180, message=_l("A longitude from -180 to 180.")),
        ],
    )
    submit = SubmitField(_l("Dispatch"))


class AssistForm(FlaskForm):  # type: ignore[misc]
    """Order a further unit to the scene (视情指令)."""

    unit = SelectField(_l("Unit"), validators=[DataRequired(REQUIRED)])
    note = StringField(_l("Instruction"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Add assisting unit"))


class ReassignForm(FlaskForm):  # type: ignore[misc]
    """Move an order to another unit."""

    order_id = HiddenField(validators=[DataRequired(REQUIRED)])
    unit = SelectField(_l("New unit"), validators=[DataRequired(REQUIRED)])
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Reassign"))


class CancelForm(FlaskForm):  # type: ignore[misc]
    """Cancel one order; a reason is required for the record."""

    order_id = HiddenField(validators=[DataRequired(REQUIRED)])
    reason = StringField(_l("Reason"), validators=[DataRequired(REQUIRED), Length(max=500)])
    submit = SubmitField(_l("Cancel order"))


class CloseForm(FlaskForm):  # type: ignore[misc]
    """Close the incident."""

    note = StringField(_l("Closing note"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Close incident"))


class NoteForm(FlaskForm):  # type: ignore[misc]
    """A note on the incident's timeline."""

    text = TextAreaField(_l("Note"), validators=[DataRequired(REQUIRED), Length(max=1000)])
    submit = SubmitField(_l("Add note"))


class DrillForm(FlaskForm):  # type: ignore[misc]
    """A drill (演练) to one unit, a tier, or all."""

    target = SelectField(
        _l("Send to"),
        choices=options(
            [
                ("unit", _l("One unit")),
                ("tier1", _l("Tier 1")),
                ("tier2", _l("Tier 2")),
                ("tier3", _l("Tier 3")),
                ("all", _l("All units")),
            ]
        ),
        validators=[DataRequired(REQUIRED)],
    )
    unit = SelectField(_l("Unit"), validators=[Optional()])
    category = SelectField(_l("Category"), validators=[Optional()])
    submit = SubmitField(_l("Send drill"))


class UserForm(FlaskForm):  # type: ignore[misc]
    """Create an account; the one-time password is shown once."""

    username = StringField(
        _l("User name"),
        validators=[
            DataRequired(REQUIRED),
            Regexp(r"^[a-z0-9._-]{2,32}$", message=_l("2 to 32 of a-z, 0-9, '.', '_', '-'.")),
        ],
    )
    role = SelectField(
        _l("Role"),
        choices=options((r, LABELS[r]) for r in ROLES),  # shown in words, posted as the key
        validators=[DataRequired(REQUIRED)],
    )
    submit = SubmitField(_l("Create user"))


class UserActionForm(FlaskForm):  # type: ignore[misc]
    """A bare form (CSRF token only) for reset / disable / enable buttons."""


__all__ = [
    "AssistForm",
    "CancelForm",
    "CloseForm",
    "DrillForm",
    "EntryForm",
    "LoginForm",
    "NoteForm",
    "PasswordForm",
    "ReassignForm",
    "SelectChoice",
    "UserActionForm",
    "UserForm",
    "options",
]


class PhoneRecordForm(FlaskForm):  # type: ignore[misc]
    """What a unit without a terminal said on the phone (电话录入): one step of its order."""

    order_id = SelectField(_l("Order"), validators=[DataRequired(REQUIRED)])
    step = SelectField(
        _l("What happened"),
        choices=options(
            [
                ("delivered", _l("Notice delivered")),
                ("acknowledged", _l("Signed for")),
                ("arrived", _l("On scene")),
                ("fed_back", _l("Feedback")),
            ]
        ),
        validators=[DataRequired(REQUIRED)],
    )
    taken_by = StringField(
        _l("Signed for by"),
        validators=[Optional(), Length(max=50, message=_l("At most %(max)d characters."))],
    )
    result_code = SelectField(_l("Result"), validators=[Optional()])
    text = TextAreaField(
        _l("What they said"),
        validators=[Optional(), Length(max=1000, message=_l("At most %(max)d characters."))],
    )
    submit = SubmitField(_l("Record phone call"))
