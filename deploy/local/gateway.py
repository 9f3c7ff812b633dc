"""The public gateway on this machine: Debian's nginx with deploy/gateway's configuration.

`make run` starts it on :8080 in front of the services; the tests start one in front of
theirs. Its files (configuration, pid, logs, temporary bodies) live in a folder of its
own under .cache/local/<profile>/gateway.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "deploy" / "gateway" / "kandoo.conf.template"
MAX_BODY = "52m"
"""Intake's `max_body_bytes` (52 MiB): larger bodies are refused here already."""


@dataclass(frozen=True)
class Upstreams:
    intake: str
    reporting: str
    web: str


def render(listen: str, upstreams: Upstreams, max_body: str = MAX_BODY) -> str:
    """The server block of deploy/gateway with its `${KANDOO_...}` filled in."""
    values = {
        "KANDOO_GATEWAY_LISTEN": listen,
        "KANDOO_INTAKE_UPSTREAM": upstreams.intake,
        "KANDOO_REPORTING_UPSTREAM": upstreams.reporting,
        "KANDOO_WEB_UPSTREAM": upstreams.web,
        "KANDOO_MAX_BODY": max_body,
    }
    text = TEMPLATE.read_text(encoding="utf-8")
    for name, value in values.items():
        text = text.replace("${" + name + "}", value)
    if "${KANDOO_" in text:
        raise ValueError("deploy/gateway/kandoo.conf.template names a value render() lacks")
    return text


def nginx_conf(folder: Path, server: str) -> str:
    """A whole nginx.conf for a gateway living in `folder`: one worker (two cores are
    shared with everything else), no access log, errors to folder/error.log."""
    temp = folder / "temp"
    return f"""
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
{server}
}}
"""


def nginx() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else "")
    if not found:
        raise FileNotFoundError("nginx is not installed: `make tools` installs Debian's nginx")
    return found


def start(folder: Path, port: int, upstreams: Upstreams) -> subprocess.Popen[bytes]:
    """nginx in the foreground (the caller stops it), listening on 127.0.0.1:`port`."""
    temp = folder / "temp"
    temp.mkdir(parents=True, exist_ok=True)
    user = ""
    if os.geteuid() == 0:
        # Started as root, nginx runs its worker as `nobody`: it must be able to write the
        # request bodies that do not fit in memory.
        nobody = pwd.getpwnam("nobody")
        user = f"user nobody {grp.getgrgid(nobody.pw_gid).gr_name};"
        for place in (temp, *temp.iterdir()):
            os.chown(place, nobody.pw_uid, nobody.pw_gid)
    conf = folder / "nginx.conf"
    server = render(f"127.0.0.1:{port}", upstreams)
    conf.write_text(user + nginx_conf(folder, server), encoding="utf-8")
    command = [nginx(), "-p", str(folder), "-c", str(conf), "-e", str(folder / "error.log")]
    subprocess.run([*command, "-t", "-q"], check=True, capture_output=True)
    return subprocess.Popen([*command, "-g", "daemon off;"])
