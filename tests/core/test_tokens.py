from __future__ import annotations

import pytest
import time_machine

from core.tokens import TokenExpired, TokenInvalid, token_make, token_read


def test_it_reads_back_the_id_for_the_same_purpose():
    token = token_make(purpose="renew", obj_id=42, max_age=60)
    assert token_read(token=token, purpose="renew") == 42


def test_it_refuses_a_token_made_for_another_purpose():
    token = token_make(purpose="renew", obj_id=42, max_age=60)
    with pytest.raises(TokenInvalid):
        token_read(token=token, purpose="cancel")


def test_it_refuses_a_tampered_token():
    token = token_make(purpose="renew", obj_id=42, max_age=60)
    payload, rest = token.split(":", 1)
    forged = token_make(purpose="renew", obj_id=43, max_age=60).split(":", 1)[0]
    with pytest.raises(TokenInvalid):
        token_read(token=f"{forged}:{rest}", purpose="renew")
    with pytest.raises(TokenInvalid):
        token_read(token=token[:-3] + "abc", purpose="renew")
    with pytest.raises(TokenInvalid):
        token_read(token="garbage", purpose="renew")


def test_it_refuses_an_expired_token():
    with time_machine.travel("2026-06-01 10:00Z", tick=False):
        token = token_make(purpose="renew", obj_id=42, max_age=60)
    with time_machine.travel("2026-06-01 10:02Z", tick=False), pytest.raises(TokenExpired):
        token_read(token=token, purpose="renew")
