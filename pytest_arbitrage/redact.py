"""Keep secrets out of anything the harness writes (records, reports, junit, terminal).

Three kinds of secret are replaced by `[REDACTED]`:

- the values of environment variables whose names say they are secrets (`*KEY*`,
  `*TOKEN*`, `*SECRET*`, `*PASSWORD*`);
- the password of any `scheme://user:password@host` URL, and the password in the URL-valued
  variables the plugin reads (OPENAI_BASE_URL, OPENAI_API_BASE, OLLAMA_HOST), which is also
  caught where a message shows it without its scheme or percent-decoded;
- the credentials of `Authorization: Bearer|Basic ...` headers and bare `Bearer ...` tokens.

`redact` runs once per record, so it costs a scan of os.environ and three regex passes;
`redact_json` gathers the secrets once for a whole structure (a summary, a cell line);
`redact_report` cleans a pytest report before the terminal, junit or xdist see it.
"""
from __future__ import annotations

import os
import re
import urllib.parse

REDACTED = "[REDACTED]"
URL_ENV = ("OPENAI_BASE_URL", "OPENAI_API_BASE", "OLLAMA_HOST")
_SECRET_NAME = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD)", re.IGNORECASE)
_MIN_SECRET_LENGTH = 6  # shorter values would redact ordinary words
_USERINFO = re.compile(r"([a-z][a-z0-9+.-]*://[^\s/:@]*:)[^\s/@]+@", re.IGNORECASE)
_TOKEN = r"[A-Za-z0-9._~+/=-]+"  # RFC 6750's token characters: the token ends at any other
_AUTH_HEADER = re.compile(rf"(authorization[\"']?\s*[:=]\s*[\"']?(?:bearer|basic)\s+){_TOKEN}", re.IGNORECASE)
_BEARER = re.compile(rf"(\bBearer\s+){_TOKEN}")  # capital B: "the bearer of" is English


def secret_values(env: dict | None = None) -> list[str]:
    """Secret environment values and URL passwords, longest first (so no secret is cut in half)."""
    env = os.environ if env is None else env
    values = {v for k, v in env.items() if _SECRET_NAME.search(k)}
    for name in URL_ENV:
        values.update(_url_passwords(env.get(name) or ""))
    return sorted((v for v in values if len(v) >= _MIN_SECRET_LENGTH), key=len, reverse=True)


def _url_passwords(url: str) -> set[str]:
    """The password of `url` as written and percent-decoded; OLLAMA_HOST may lack a scheme."""
    parts = urllib.parse.urlsplit(url if "://" in url else f"http://{url}")
    try:
        password = parts.password
    except ValueError:  # an unparsable netloc holds no password we can name
        return set()
    return {password, urllib.parse.unquote(password)} if password else set()


def redact(text: str, secrets: list[str] | None = None) -> str:
    """`text` with every secret replaced; `secrets` is `secret_values()` when already at hand."""
    for value in secret_values() if secrets is None else secrets:
        if value in text:
            text = text.replace(value, REDACTED)
    if "://" in text:
        text = _USERINFO.sub(rf"\1{REDACTED}@", text)
    text = _AUTH_HEADER.sub(rf"\1{REDACTED}", text)
    return _BEARER.sub(rf"\1{REDACTED}", text)


def redact_json(value, secrets: list[str] | None = None):
    """A copy of a JSON-able structure (dicts, lists, tuples, strings, numbers) with every string redacted."""
    secrets = secret_values() if secrets is None else secrets
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, dict):
        return {redact_json(k, secrets): redact_json(v, secrets) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(redact_json(v, secrets) for v in value)
    return value


def redact_report(report) -> None:
    """Redact what pytest shows and junit writes of a test report, in place.

    A skip keeps its (path, lineno, reason) shape, which the skip summary and junit unpack;
    a failure whose text holds a secret becomes that text redacted, a plain string (what
    xdist sends for reports without a traceback anyway).
    """
    secrets = secret_values()
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        report.longrepr = (*longrepr[:2], redact(str(longrepr[2]), secrets))
    elif longrepr is not None:
        text = str(longrepr)
        redacted = redact(text, secrets)
        if redacted != text:
            report.longrepr = redacted
    report.sections = [(title, redact(content, secrets)) for title, content in report.sections]
    report.user_properties = [(name, redact(value, secrets) if isinstance(value, str) else value)
                              for name, value in report.user_properties]
