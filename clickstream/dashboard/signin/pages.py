"""The sign-in pages: plain HTML with inline style, so that nothing behind the gate is needed."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from clickstream.dashboard.signin.accounts import DashboardUser

STYLE = """
body{font-family:system-ui,sans-serif;background:#f5f6f8;margin:0;color:#212529}
main{max-width:26rem;margin:12vh auto;background:#fff;padding:2rem;border-radius:.5rem;
box-shadow:0 1px 3px rgba(0,0,0,.12)}
main.wide{max-width:52rem}
h1{font-size:1.4rem;margin:0 0 1rem}label{display:block;margin:.8rem 0 .2rem}
input{width:100%;box-sizing:border-box;padding:.5rem;font-size:1rem}
button,.button{margin-top:1.2rem;padding:.55rem 1rem;font-size:1rem;border:0;border-radius:.3rem;
background:#0d6efd;color:#fff;cursor:pointer;text-decoration:none;display:inline-block}
.problem{color:#b02a37;background:#f8d7da;padding:.6rem;border-radius:.3rem}
.note{color:#555}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #ddd;padding:.4rem;text-align:left}code{font-size:.9rem}
"""


def _page(title: str, body: str, wide: bool = False) -> str:
    width = ' class="wide"' if wide else ""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<link rel="icon" href="data:,"><title>{escape(title)} · Clickstream</title>'
        f"<style>{STYLE}</style></head><body><main{width}>{body}</main></body></html>"
    )


def sign_in_page(
    next_path: str,
    problem: str | None = None,
    login: str = "",
    oidc_label: str | None = None,
    note: str | None = None,
) -> str:
    """The sign-in form, with what went wrong last time and the single sign-on button."""
    parts = ["<h1>Sign in to Clickstream</h1>"]
    if note:
        parts.append(f'<p class="note" id="note">{escape(note)}</p>')
    if problem:
        parts.append(f'<p class="problem" id="problem" role="alert">{escape(problem)}</p>')
    parts.append(
        '<form method="post" action="/auth/sign-in">'
        f'<input type="hidden" name="next" value="{escape(next_path)}">'
        '<label for="login">Login</label>'
        f'<input id="login" name="login" autocomplete="username" value="{escape(login)}" '
        "required autofocus>"
        '<label for="password">Password</label>'
        '<input id="password" name="password" type="password" '
        'autocomplete="current-password" required>'
        '<button type="submit" id="sign-in">Sign in</button></form>'
    )
    if oidc_label:
        parts.append(
            f'<p><a class="button" id="oidc" href="/auth/oidc/start?next={escape(next_path)}">'
            f"Sign in with {escape(oidc_label)}</a></p>"
        )
    parts.append(
        '<p class="note">No account? An admin adds one with '
        "<code>clickstream users add LOGIN</code>.</p>"
    )
    return _page("Sign in", "".join(parts))


def message_page(title: str, text: str, action: str | None = None) -> str:
    """A page that explains something (a used link, a missing permission) and offers a way on."""
    body = f'<h1>{escape(title)}</h1><p id="message">{escape(text)}</p>'
    if action:
        body += f'<p><a class="button" href="{escape(action)}">Continue</a></p>'
    return _page(title, body)


def users_page(users: Sequence[DashboardUser], me: DashboardUser) -> str:
    """The admin-only list of accounts, with the commands that change them."""
    rows = "".join(
        f"<tr><td>{escape(user.login)}</td><td>{user.role}</td>"
        f"<td>{escape(user.describe_sites())}</td>"
        f"<td>{'password' if user.password_hash else 'link or single sign-on'}</td></tr>"
        for user in users
    )
    body = (
        "<h1>Dashboard accounts</h1>"
        f'<p class="note">Signed in as {escape(me.login)} ({me.role}).</p>'
        '<table id="users"><thead><tr><th>Login</th><th>Role</th><th>Sites</th>'
        f"<th>Signs in with</th></tr></thead><tbody>{rows}</tbody></table>"
        '<p class="note">Change them on the server: <code>clickstream users add|remove|reset'
        "</code>.</p>"
        '<p><a class="button" href="/">Back to the dashboard</a></p>'
    )
    return _page("Accounts", body, wide=True)
