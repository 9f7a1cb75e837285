"""The protocol pieces of the fake WeChat Pay gateway (tests/payments/fakes/wechat_pay.py):
keys and the platform certificate, signatures, AEAD_AES_256_GCM sealing, a sent notification.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import secrets
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID

SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"
CHINA = dt.timezone(dt.timedelta(hours=8))
# out_trade_no / out_refund_no as the API documents them.
OUT_NO = re.compile(r"[A-Za-z0-9_\-|*]{6,32}")


@cache
def rsa_key(label: str) -> rsa.RSAPrivateKey:
    # One key per label and test process: generating RSA keys is the slow part of a start.
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def platform_certificate(key: rsa.RSAPrivateKey) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Fake WeChat Pay platform")])
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        # Wide validity: tests travel in time (time_machine, faketime).
        .not_valid_before(dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
        .not_valid_after(dt.datetime(2099, 12, 31, tzinfo=dt.UTC))
        .sign(key, hashes.SHA256())
    )


def sign(key: rsa.RSAPrivateKey, *lines: str) -> str:
    """The protocol's signature: each line followed by a newline, RSA-SHA256, base64."""
    message = "".join(f"{line}\n" for line in lines).encode()
    return base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()


def seal(api_v3_key: str, plaintext: str, associated_data: str) -> dict[str, str]:
    """AEAD_AES_256_GCM as the documentation describes: 12-character nonce, base64 of
    ciphertext and tag."""
    nonce = secrets.token_hex(6)
    sealed = AESGCM(api_v3_key.encode()).encrypt(
        nonce.encode(), plaintext.encode(), associated_data.encode()
    )
    return {
        "algorithm": "AEAD_AES_256_GCM",
        "nonce": nonce,
        "associated_data": associated_data,
        "ciphertext": base64.b64encode(sealed).decode(),
    }


def now_rfc3339() -> str:
    return dt.datetime.now(CHINA).replace(microsecond=0).isoformat()


def to_fen(amount: Decimal) -> int:
    fen = amount.scaleb(2)
    assert fen == fen.to_integral_value(), amount
    return int(fen)


@dataclass
class Delivery:
    """A notification the fake sent, and the HTTP status its receiver answered."""

    url: str
    body: bytes
    headers: dict[str, str]
    status: int = 0


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
