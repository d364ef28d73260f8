"""Who is using this browser session: the modes a lab needs, picked by `NLP_PLAYGROUND_AUTH`.

- `open` (the `make run` default, a laptop): everyone is the lecturer; nothing to log in to.
- `code` (a lab server): students enter the class's access code and a name; the lecturer enters
  the lecturer code. The name is the identity, so a student's tabs and sessions share one
  allowance in the queue.
- `proxy`: a trusted reverse proxy authenticates and passes the user in a header
  (`NLP_PLAYGROUND_IDENTITY_HEADER`, default `X-Forwarded-User`); ids listed in
  `NLP_PLAYGROUND_LECTURERS` are lecturers. Only safe when the proxy is the only way in.
- `oidc`: Streamlit's built-in login (`st.login`, configured in `.streamlit/secrets.toml`) for
  universities with single sign-on; the e-mail (or subject) is the identity.

A session that has no identity yet sees the login form and nothing else.
"""

from __future__ import annotations

import hmac
import os
import re
import time

import streamlit as st

from app.components.messages import error
from app.i18n import t
from core.users import User

ENV_AUTH = "NLP_PLAYGROUND_AUTH"
ENV_CLASS_CODE = "NLP_PLAYGROUND_CLASS_CODE"
ENV_LECTURER_CODE = "NLP_PLAYGROUND_LECTURER_CODE"
ENV_HEADER = "NLP_PLAYGROUND_IDENTITY_HEADER"
ENV_LECTURERS = "NLP_PLAYGROUND_LECTURERS"
MODES = ("open", "code", "proxy", "oidc")
KEY = "_identity"
NAME = re.compile(r"^[\w .'-]{1,40}$")  # letters of any script, digits, spaces, . ' -
WRONG_CODE_DELAY_S = 1.0  # slows guessing of the access codes


def mode() -> str:
    chosen = os.environ.get(ENV_AUTH, "open").strip().lower() or "open"
    return chosen if chosen in MODES else "code"  # a typo must not open the server: ask for a code


def _lecturers() -> set[str]:
    return {item.strip().lower() for item in os.environ.get(ENV_LECTURERS, "").split(",") if item.strip()}


def _matches(given: str, env: str) -> bool:
    expected = os.environ.get(env, "")
    return bool(expected) and hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def current_user() -> User | None:
    """The session's user, or None while nobody has logged in."""
    kind = mode()
    if kind == "open":
        return User("local", "lecturer", "you")
    if kind == "proxy":
        value = (st.context.headers.get(os.environ.get(ENV_HEADER, "X-Forwarded-User")) or "").strip()
        if not value:
            return None
        return User(f"proxy:{value.lower()}", "lecturer" if value.lower() in _lecturers() else "student", value)
    if kind == "oidc":
        if not getattr(st.user, "is_logged_in", False):
            return None
        who = str(st.user.get("email") or st.user.get("sub") or "")
        return User(f"oidc:{who.lower()}", "lecturer" if who.lower() in _lecturers() else "student", who)
    return st.session_state.get(KEY)


def login_form() -> None:
    """What a session without an identity sees (then the page stops)."""
    st.title(t("NLP Playground"))
    kind = mode()
    if kind == "proxy":
        error(t("This server expects to be reached through its login proxy. Ask your lecturer for the address."))
        return
    if kind == "oidc":
        st.write(t("Log in with your university account to use the playground."))
        st.button(t("Log in"), on_click=st.login, key="identity_login", icon=":material/login:")
        return
    with st.form("identity_form"):
        name = st.text_input(t("Your name"), max_chars=40, key="identity_name",
                             help=t("Shown to nobody; it keeps your training jobs yours across tabs."))
        code = st.text_input(t("Access code"), type="password", max_chars=80, key="identity_code",
                             help=t("The code your lecturer gave the class."))
        submitted = st.form_submit_button(t("Enter"), type="primary")
    if not submitted:
        return
    name = name.strip()
    if not NAME.match(name):
        error(t("Write a name of 1 to 40 letters, digits, spaces, dots, apostrophes or hyphens."))
        return
    role = "lecturer" if _matches(code, ENV_LECTURER_CODE) else "student" if _matches(code, ENV_CLASS_CODE) else None
    if role is None:
        time.sleep(WRONG_CODE_DELAY_S)
        error(t("That access code is not right. Ask your lecturer for the class's code."))
        return
    st.session_state[KEY] = User(f"code:{name.lower()}", role, name)
    st.rerun()
