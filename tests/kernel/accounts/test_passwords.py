"""Password change revokes sessions; password reset: mailed (through a real SMTP server), single use,
expiring, stored hashed."""

from __future__ import annotations

import email
import re
from datetime import timedelta
from email.policy import default as default_policy

from sqlalchemy import select, update

from kernel import aftercommit
from kernel.accounts.models import PasswordResetToken
from kernel.db import utcnow
from kernel.mail.models import MailMessage
from kernel.security import token_digest

NEW_PASSWORD = "a brand new passphrase"


async def reset_token_from_mail(ip_client, smtp_server, email: str) -> str:
    response = await ip_client.post("/api/v1/auth/password-reset", json={"email": email})
    assert response.status_code == 202
    await aftercommit.drain()  # sending happens after commit, in the background
    mails = [m for m in smtp_server.messages() if m["To"] == email]
    assert len(mails) == 1
    body = mails[0].get_body(preferencelist=("plain",)).get_content()
    # The mail names the API call that exists to spend the token, on the host the request came to.
    assert "POST http://testserver/api/v1/auth/password-reset/confirm\r\n" in body, body
    return re.search(r'"token": "(pcr_[\w-]+)"', body).group(1)


async def test_password_change_revokes_every_session(ip_client, factory):
    actor = await factory.user()
    second = (await ip_client.post("/api/v1/auth/login", json={"email": actor.user.email,
                                                               "password": "correct-horse-9"})).json()["access_token"]
    response = await ip_client.post("/api/v1/auth/password", headers=actor.headers,
                                    json={"current_password": "correct-horse-9", "new_password": NEW_PASSWORD})
    assert response.status_code == 200
    fresh = response.json()["access_token"]
    for old in (actor.token, second):
        assert (await ip_client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {old}"})).status_code == 401
    assert (await ip_client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {fresh}"})).status_code == 200
    login = await ip_client.post("/api/v1/auth/login", json={"email": actor.user.email, "password": NEW_PASSWORD})
    assert login.status_code == 200


async def test_password_change_needs_the_current_password(ip_client, factory):
    actor = await factory.user()
    response = await ip_client.post("/api/v1/auth/password", headers=actor.headers,
                                    json={"current_password": "not-it", "new_password": NEW_PASSWORD})
    assert response.status_code == 403
    assert (await ip_client.get("/api/v1/auth/me", headers=actor.headers)).status_code == 200


async def test_password_reset_by_mail_is_single_use(ip_client, factory, smtp_server, sessionmaker):
    actor = await factory.user()
    token = await reset_token_from_mail(ip_client, smtp_server, actor.user.email)
    mail = [m for m in smtp_server.messages() if m["To"] == actor.user.email][0]
    assert mail["Subject"] == "Reset your PyCommerce password"

    async with sessionmaker() as session:  # stored as a digest only, the mail body encrypted
        row = (await session.execute(select(PasswordResetToken).where(
            PasswordResetToken.user_id == actor.user.id))).scalar_one()
        assert row.token_digest == token_digest(token) and token not in row.token_digest
        stored = (await session.execute(select(MailMessage).where(MailMessage.to_address == actor.user.email))).scalar_one()
        assert token not in stored.text_encrypted and stored.status.value == "sent"

    confirm = {"token": token, "new_password": NEW_PASSWORD}
    assert (await ip_client.post("/api/v1/auth/password-reset/confirm", json=confirm)).status_code == 204
    # All sessions ended; the new password works; the token is spent.
    assert (await ip_client.get("/api/v1/auth/me", headers=actor.headers)).status_code == 401
    login = await ip_client.post("/api/v1/auth/login", json={"email": actor.user.email, "password": NEW_PASSWORD})
    assert login.status_code == 200
    again = await ip_client.post("/api/v1/auth/password-reset/confirm",
                                 json={"token": token, "new_password": "yet another passphrase"})
    assert again.status_code == 422


async def test_password_reset_token_expires(ip_client, factory, smtp_server, sessionmaker):
    actor = await factory.user()
    token = await reset_token_from_mail(ip_client, smtp_server, actor.user.email)
    async with sessionmaker() as session, session.begin():
        await session.execute(update(PasswordResetToken).where(PasswordResetToken.token_digest == token_digest(token))
                              .values(expires_at=utcnow() - timedelta(seconds=1)))
    response = await ip_client.post("/api/v1/auth/password-reset/confirm",
                                    json={"token": token, "new_password": NEW_PASSWORD})
    assert response.status_code == 422
    assert (await ip_client.get("/api/v1/auth/me", headers=actor.headers)).status_code == 200


async def test_unknown_email_gets_the_same_answer_and_no_mail(ip_client, smtp_server):
    response = await ip_client.post("/api/v1/auth/password-reset", json={"email": "nobody-here@example.com"})
    assert response.status_code == 202
    await aftercommit.drain()
    assert not [m for m in smtp_server.messages() if m["To"] == "nobody-here@example.com"]


async def test_file_backend_writes_eml_under_var(ip_client, factory, app):
    actor = await factory.user()
    assert app.state.settings.mail_backend == "file"
    response = await ip_client.post("/api/v1/auth/password-reset", json={"email": actor.user.email})
    assert response.status_code == 202
    await aftercommit.drain()
    mails = [email.message_from_bytes(p.read_bytes(), policy=default_policy)
             for p in (app.state.settings.var_dir / "mail").glob("*.eml")]
    mine = [m for m in mails if m["To"] == actor.user.email]
    assert len(mine) == 1 and '"token": "pcr_' in mine[0].get_body(preferencelist=("plain",)).get_content()
