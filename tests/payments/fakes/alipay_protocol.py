"""The signing rules of Alipay's open platform, from the gateway's side, for the fake gateway.

- A request is signed by the app (RSA2: SHA256withRSA, PKCS#1 v1.5) over every parameter but
  ``sign``, sorted by name, as ``name=value`` joined with ``&``, values not URL-encoded,
  empty values left out; the gateway checks it with the app's public key.
- A synchronous answer is ``{"<method>_response": {...}, "sign": "..."}``: the gateway signs
  the JSON text of the ``<method>_response`` object exactly as it is written in the body.
- A notification is a form POST signed by Alipay over every parameter but ``sign`` and
  ``sign_type`` (same sorting and joining); the app checks it with Alipay's public key.

Keys are generated in the test process (never committed): RSA-2048 takes a moment, so each
role's key pair is made once per process and written to each test's own directory.
"""

from __future__ import annotations

import base64
import functools
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from Cryptodome.Hash import SHA256
from Cryptodome.PublicKey import RSA
from Cryptodome.Signature import pkcs1_15


@functools.cache
def key_pair(role: str) -> RSA.RsaKey:
    """A key pair per role ("app", "alipay", "stranger"), made once per test process."""
    return RSA.generate(2048)


def signed_text(params: Mapping[str, str], *, leave_out: tuple[str, ...]) -> str:
    return "&".join(
        f"{name}={value}"
        for name, value in sorted(params.items())
        if name not in leave_out and value != ""
    )


def rsa2_sign(text: str, key: RSA.RsaKey) -> str:
    return base64.b64encode(pkcs1_15.new(key).sign(SHA256.new(text.encode()))).decode()


def rsa2_valid(text: str, signature: str, key: RSA.RsaKey) -> bool:
    try:
        pkcs1_15.new(key.public_key()).verify(
            SHA256.new(text.encode()), base64.b64decode(signature)
        )
    except (ValueError, TypeError):
        return False
    return True


def request_valid(params: Mapping[str, str], app_key: RSA.RsaKey) -> bool:
    """An app's request: everything but ``sign`` is signed (``sign_type`` included)."""
    return rsa2_valid(signed_text(params, leave_out=("sign",)), params.get("sign", ""), app_key)


def answer_body(method: str, answer: Mapping[str, Any], key: RSA.RsaKey) -> bytes:
    """A signed synchronous answer, as the gateway writes it."""
    content = json.dumps(answer, ensure_ascii=False, separators=(",", ":"))
    name = method.replace(".", "_") + "_response"
    signature = rsa2_sign(content, key)
    return f'{{"{name}":{content},"sign":"{signature}"}}'.encode()


def error_body(answer: Mapping[str, Any]) -> bytes:
    """An unsigned ``error_response`` (a request the gateway could not authenticate)."""
    return json.dumps({"error_response": answer}, ensure_ascii=False).encode()


def notification_body(params: Mapping[str, str], key: RSA.RsaKey) -> bytes:
    """A notification form signed as Alipay signs it (``sign_type`` added after)."""
    fields = dict(params)
    fields["sign"] = rsa2_sign(signed_text(fields, leave_out=("sign", "sign_type")), key)
    fields["sign_type"] = "RSA2"
    return urlencode(fields).encode()


def pem_private(key: RSA.RsaKey) -> bytes:
    return key.export_key(format="PEM", pkcs=1)


def pem_public(key: RSA.RsaKey) -> bytes:
    return key.public_key().export_key(format="PEM")
