"""Keeping the development profile off real networks.

Without DJANGO_ENV=production the settings need no variables at all. That default must
not hand out anything an attacker can reproduce, and must not quietly serve a network:

- `install_secret_key(var_dir)`: with DJANGO_SECRET_KEY unset, SECRET_KEY (and with it the
  JWT signing key, session and password-reset signatures) is a random value made on the
  first start of this install and kept in `<var>/secret_key` (mode 0600; var/ is not
  committed). Restarts reuse it, so sessions and tokens survive; two installs never
  share one.
- `dev_bind_refusal(host)`: the message refusing to serve the development profile on an
  address other machines can reach (runserver's address, gunicorn's --bind; the
  `runserver` command and gunicorn.conf.py ask it). EHOME_ALLOW_DEV_ON_NETWORK=1 forces.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from pathlib import Path

SECRET_FILE = "secret_key"
MIN_SECRET_LENGTH = 50


def install_secret_key(var_dir: Path) -> str:
    """This install's secret: read from `<var_dir>/secret_key`, made there on first use.
    Concurrent first starts (web and worker) agree on one value: the file is written
    complete under a temporary name and linked into place only if none exists yet."""
    var_dir = Path(var_dir)
    path = var_dir / SECRET_FILE
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        tmp = var_dir / f".{SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(64) + "\n")
            try:
                os.link(tmp, path)  # fails if another process got there first
            except FileExistsError:
                pass
        finally:
            tmp.unlink(missing_ok=True)
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)  # copied or restored with looser permissions
    key = path.read_text().strip()
    if len(key) < MIN_SECRET_LENGTH:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            f"{path} 中的密钥太短（少于 {MIN_SECRET_LENGTH} 个字符）；删除该文件以重新生成"
        )
    return key


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    host = (host or "").strip().strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name or "" (all interfaces): assume reachable


def bind_host(bind: str) -> str:
    """The host of a gunicorn/runserver bind string ("0.0.0.0:8000", "[::1]:80", "unix:…")."""
    bind = bind.strip()
    if bind.startswith("unix:") or bind.startswith("fd://"):
        return "localhost"  # not a network socket
    if bind.startswith("["):
        return bind[1 : bind.index("]")] if "]" in bind else bind
    if bind.count(":") == 1:
        return bind.split(":", 1)[0]
    return bind


def dev_bind_refusal(host: str, environ=None) -> str | None:
    """Why the development profile may not serve on `host`, or None when it may
    (production profile, a loopback address, or EHOME_ALLOW_DEV_ON_NETWORK=1)."""
    environ = os.environ if environ is None else environ
    if environ.get("DJANGO_ENV", "development") == "production":
        return None
    if environ.get("EHOME_ALLOW_DEV_ON_NETWORK", "").strip().lower() in {"1", "true", "yes", "on"}:
        return None
    if is_loopback(host):
        return None
    return (
        f"拒绝启动：开发配置（DJANGO_ENV 未设为 production）不能在网络地址 {host or '所有网卡'} "
        "上提供服务——开发配置没有部署加固，调试信息和默认设置不适合真实网络。"
        "正式部署请设置 DJANGO_ENV=production（以及 DJANGO_SECRET_KEY、DJANGO_ALLOWED_HOSTS）；"
        "只在本机访问请绑定 127.0.0.1；确实要在局域网里演示，设置 EHOME_ALLOW_DEV_ON_NETWORK=1。\n"
        f"Refusing to serve the development profile on {host or 'all interfaces'}: set "
        "DJANGO_ENV=production, bind 127.0.0.1, or force with EHOME_ALLOW_DEV_ON_NETWORK=1."
    )
