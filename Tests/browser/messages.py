"""The portal's interface texts, read from Sources/StrongroomWeb/Messages/*.yaml.

The message files use a small YAML subset (nested mappings of `key: value`, values plain or double-quoted), so a
few lines read them without a YAML library.
"""
from __future__ import annotations

import json
from pathlib import Path

MESSAGES_DIR = Path(__file__).resolve().parents[2] / "Sources" / "StrongroomWeb" / "Messages"


def _scalar(text: str) -> str:
    text = text.strip()
    if text.startswith('"') and text.endswith('"'):
        return json.loads(text)
    if text.startswith("'") and text.endswith("'"):
        return text[1:-1].replace("''", "'")
    return text


def load(language: str) -> dict[str, str]:
    """All messages of `language` as dotted keys (`common.error_prefix`)."""
    flat: dict[str, str] = {}
    stack: list[tuple[int, str]] = []
    inside = False
    for raw in (MESSAGES_DIR / f"{language}.yaml").read_text(encoding="utf-8").splitlines():
        line = raw.rstrip()
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line == "messages:":
            inside = True
            continue
        if not inside:
            continue
        indent = len(line) - len(line.lstrip(" "))
        if indent == 0:
            break
        key, _, value = line.strip().partition(":")
        while stack and stack[-1][0] >= indent:
            stack.pop()
        if value.strip():
            flat[".".join([k for _, k in stack] + [key])] = _scalar(value)
        else:
            stack.append((indent, key))
    return flat


_cache: dict[str, dict[str, str]] = {}


def text(language: str, key: str) -> str:
    """One message; a missing key fails the test that asked for it."""
    if language not in _cache:
        _cache[language] = load(language)
    messages = _cache[language]
    assert key in messages, f"message {key!r} missing from {language}.yaml"
    return messages[key]


def format(language: str, key: str, **values: str) -> str:
    """One message with its `{name}` placeholders filled in, as the page fills them."""
    out = text(language, key)
    for name, value in values.items():
        out = out.replace("{" + name + "}", value)
    return out


def pattern(language: str, key: str) -> str:
    """One message as a regular expression, each `{name}` standing for any text."""
    import re

    return "".join(".+?" if part.startswith("{") else re.escape(part)
                   for part in re.split(r"(\{[a-z_]+\})", text(language, key)))
