"""Login, logout, password change and the language switch (blueprint `console_auth`)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from hub.console import sessions, users
from hub.console.errors import AuthError, LoginThrottled, UserError
from hub.console.forms import LoginForm, PasswordForm
from hub.console.web import TOKEN_KEY, act, client_address, current, need, now, safe_next, state

bp = Blueprint("console_auth", __name__, template_folder="templates")

LANGUAGES = ("zh", "en")


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Sign in; a refused attempt is audited. On screen a wrong name is not told apart from a
    wrong password; a throttled attempt says how long to wait (throttle.py)."""
    form = LoginForm()
    if form.validate_on_submit():
        name = form.username.data.strip().lower()
        try:
            user = users.authenticate(
                state().db_path, name, form.password.data, now=now(), address=client_address()
            )
        except LoginThrottled as exc:
            act("login", target=name, outcome="refused", detail={"reason": exc.reason}, actor=name)
            minutes = max(1, -(-exc.retry_after_s // 60))
            form.password.errors.append(
                _("Too many failed attempts. Try again in %(n)d min.", n=minutes)
            )
            page = render_template("console/login.html", form=form)
            return page, 401, {"Retry-After": str(exc.retry_after_s)}
        except AuthError as exc:
            act("login", target=name, outcome="refused", detail={"reason": exc.reason}, actor=name)
            form.password.errors.append(_("Wrong user name or password."))
            return render_template("console/login.html", form=form), 401
        old = session.get(TOKEN_KEY)
        if isinstance(old, str):
            sessions.close_session(state().db_path, old)
        lang = session.get("lang")
        session.clear()  # a fresh cookie at login: nothing planted before it survives
        if lang in LANGUAGES:
            session["lang"] = lang
        session[TOKEN_KEY] = sessions.open_session(state().db_path, user.username, now=now())
        act("login", target=user.username, actor=user.username, detail={"role": user.role})
        if user.must_change:
            return redirect(url_for("console_auth.password"))
        return redirect(safe_next(request.args.get("next")))
    return render_template("console/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    """Sign out (POST with the CSRF token, so another site cannot log an operator out)."""
    user = current()
    token = session.get(TOKEN_KEY)
    if user is not None:
        act("logout", target=user.username)
    if isinstance(token, str):
        sessions.close_session(state().db_path, token)
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    return redirect(url_for("console_auth.login"))


@bp.route("/password", methods=["GET", "POST"])
def password() -> str | Response:
    """Change one's password; forced after a one-time password."""
    user = need("view")
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            users.change_password(state().db_path, user.username, form.old.data, form.new.data)
        except AuthError:
            act("password_change", target=user.username, outcome="refused")
            form.old.errors.append(_("Wrong current password."))
        except UserError:
            form.new.errors.append(_("Choose another password (not the old one or the name)."))
        else:
            act("password_change", target=user.username)
            flash(_("Password changed."), "ok")
            return redirect(url_for("console_board.board"))
    return render_template("console/password.html", form=form, forced=user.must_change)


@bp.route("/lang/<code>")
def language(code: str) -> Response:
    """Switch the language for this browser (Chinese is the default)."""
    if code in LANGUAGES:
        session["lang"] = code
    return redirect(safe_next(request.args.get("next")))
