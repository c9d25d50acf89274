"""One `Settings` object for the whole deployment (env prefix ``PYCOMMERCE_``).

Local use needs no configuration at all: the database is SQLite under
``var/`` and a secret key is generated once and kept in ``var/secret.key``.
Production mode (``PYCOMMERCE_ENV=production``) refuses to start without an
explicit secret key, so a deployment never runs on a key nobody chose.
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_var_dir() -> Path:
    return Path.cwd() / "var"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PYCOMMERCE_", env_file=None, extra="ignore")

    env: Literal["development", "production", "test"] = "development"
    var_dir: Path = Field(default_factory=default_var_dir)
    database_url: str = ""
    # Migrations run as the role that owns the tables; the app connects as one that does not
    # (row-level security does not apply to owners and superusers). Defaults to database_url.
    migration_database_url: str = ""
    # PostgreSQL: the role the application connects as; `pycommerce migrate` grants it table access.
    db_app_role: str | None = None
    # The platform's own work across stores (job workers, the CLI, platform administration, mail
    # sending) connects as a member of kernel.db.PLATFORM_ROLE, a login the app's role can never
    # become; `pycommerce migrate` grants db_platform_role access and that membership. Defaults to
    # database_url (SQLite, or one role for everything in development).
    platform_database_url: str = ""
    db_platform_role: str | None = None
    db_platform_pool_size: int = 4
    # Connections are kept once opened: an overflow connection is closed the moment it comes back
    # to a pool already holding db_pool_size idle ones, which under load happens every few requests
    # (kernel.db.create_engine_for).
    db_pool_size: int = 20
    db_max_overflow: int = 0
    db_pool_timeout: float = 30.0
    db_echo: bool = False
    secret_key: SecretStr | None = None
    # Older keys still accepted for decryption while secrets are re-encrypted (key rotation).
    previous_secret_keys: list[SecretStr] = Field(default_factory=list)
    redis_url: str | None = None
    log_level: str = "INFO"
    log_json: bool = True
    trace_hooks: bool = False
    platform_domain: str = "localhost"
    host: str = "127.0.0.1"
    port: int = 8000
    run_worker_in_process: bool = True
    # Order placements one process runs at once; more wait their turn (FIFO). Placing holds hot row
    # locks (the order counter, popular variants) until commit: with fewer placements competing
    # for the event loop, each holder reaches its commit sooner (see docs/orders.md). 0: no limit.
    placement_concurrency: int = Field(default=4, ge=0)
    # The job queue and its workers (see docs/jobs.md).
    job_concurrency: int = Field(default=4, ge=1)  # jobs one worker process runs at once
    job_poll_interval: float = Field(default=1.0, gt=0)  # seconds between claims when the queue is empty
    job_heartbeat_interval: float = Field(default=10.0, gt=0)
    job_stale_after: float = Field(default=30.0, gt=0)  # no heartbeat for this long: the worker died
    job_backoff_base: float = Field(default=10.0, ge=0)  # first retry after ~this many seconds, then doubling
    job_backoff_max: float = Field(default=3600.0, ge=0)
    job_max_attempts: int = Field(default=12, ge=1)
    job_shutdown_grace: float = Field(default=25.0, ge=0)  # seconds a stopping worker lets jobs finish
    # Comma-separated modules imported by every worker so their @job_handler registrations exist.
    job_modules: str = ""
    media_dir: Path | None = None
    media_url: str = "/media"
    # Product images: "local" (media_dir, served at media_url) or "s3" (any S3-compatible bucket;
    # needs the optional extra `pycommerce[s3]`). media_public_url: where clients fetch the files
    # (a CDN or the bucket's public URL); defaults to <s3_endpoint_url>/<s3_bucket>.
    media_backend: Literal["local", "s3"] = "local"
    media_public_url: str | None = None
    s3_endpoint_url: str | None = None
    s3_bucket: str | None = None
    s3_region: str = "us-east-1"
    s3_access_key_id: str | None = None
    s3_secret_access_key: SecretStr | None = None
    mail_backend: Literal["file", "smtp"] = "file"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    mail_from: str = "PyCommerce <no-reply@localhost>"

    @model_validator(mode="after")
    def _fill_defaults(self) -> "Settings":
        if not self.database_url:
            self.database_url = f"sqlite+aiosqlite:///{self.var_dir / 'pycommerce.db'}"
        if not self.migration_database_url:
            self.migration_database_url = self.database_url
        if not self.platform_database_url:
            self.platform_database_url = self.database_url
        if self.media_dir is None:
            self.media_dir = self.var_dir / "media"
        if self.media_backend == "s3" and not (self.s3_endpoint_url and self.s3_bucket and self.s3_access_key_id
                                               and self.s3_secret_access_key):
            raise ValueError("media_backend=s3 needs s3_endpoint_url, s3_bucket, s3_access_key_id and "
                             "s3_secret_access_key")
        if self.secret_key is None:
            if self.env == "production":
                raise ValueError("PYCOMMERCE_SECRET_KEY must be set in production mode")
            self.secret_key = SecretStr(_local_secret_key(self.var_dir))
        return self

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith("postgresql")


def _local_secret_key(var_dir: Path) -> str:
    """Generate once and keep under var/ so local restarts can still decrypt stored secrets."""
    path = var_dir / "secret.key"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


@lru_cache
def get_settings() -> Settings:
    return Settings()
