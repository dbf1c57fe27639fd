"""Users and the audit log (blueprint `console_admin`).

Admins create accounts (each gets a one-time password shown once), reset passwords and
disable accounts; nobody is deleted, so the audit log's names always resolve. Auditors and
admins read the audit log.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from hub.console import audit, users
from hub.console.errors import UserError
from hub.console.forms import UserActionForm, UserForm
from hub.console.web import act, need, now, state

bp = Blueprint("console_admin", __name__, template_folder="templates")


def _page(form: UserForm, new_password: tuple[str, str] | None = None) -> str:
    return render_template(
        "console/users.html",
        form=form,
        action_form=UserActionForm(),
        users=users.list_users(state().db_path),
        new_password=new_password,
    )


@bp.route("/users", methods=["GET", "POST"])
def user_list() -> str:
    """List accounts; POST creates one and shows its one-time password once."""
    admin = need("users")
    form = UserForm()
    if form.validate_on_submit():
        try:
            password = users.create_user(
                state().db_path, form.username.data, form.role.data, by=admin.username, now=now()
            )
        except UserError as exc:
            act(
                "user_create",
                target=form.username.data,
                outcome="refused",
                detail={"error": str(exc)},
            )
            form.username.errors = [*form.username.errors, _("This user name is taken.")]
        else:
            act("user_create", target=form.username.data, detail={"role": form.role.data})
            return _page(UserForm(formdata=None), (form.username.data, password))
    elif form.is_submitted():
        act("user_create", outcome="invalid", detail={"errors": form.errors})
    return _page(form)


@bp.route("/users/<username>/<action>", methods=["POST"])
def user_action(username: str, action: str) -> str | Response:
    """Reset a password, disable or enable an account."""
    admin = need("users")
    if not UserActionForm().validate_on_submit():
        abort(400)
    try:
        if action == "reset":
            password = users.reset_password(state().db_path, username, now=now())
            act("user_reset", target=username)
            return _page(UserForm(formdata=None), (username, password))
        if action in ("disable", "enable"):
            if username == admin.username:
                flash(_("You cannot disable yourself."), "error")
            else:
                users.set_disabled(state().db_path, username, action == "disable")
                act(f"user_{action}", target=username)
        else:
            abort(404)
    except UserError:
        act(f"user_{action}", target=username, outcome="not_found")
        abort(404)
    return redirect(url_for("console_admin.user_list"))


@bp.route("/audit")
def audit_log() -> str:
    """The audit log, newest first, 200 a page."""
    need("audit")
    before = request.args.get("before", type=int)
    actor = request.args.get("actor", "")[:32]
    rows = audit.entries(state().db_path, before=before, actor=actor)
    return render_template("console/audit.html", rows=rows, actor=actor)
