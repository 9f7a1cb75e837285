"""Yuan and fen in the WeChat Pay protocol: exact both ways."""

from __future__ import annotations

from decimal import Decimal

import pytest

from payments.providers.wechat_pay_events import fen_to_yuan, yuan_to_fen


@pytest.mark.parametrize(
    ("amount", "fen"), [("0.01", 1), ("1.10", 110), ("123.45", 12345), ("100000", 10000000)]
)
def test_yuan_and_fen_convert_exactly(amount, fen):
    assert yuan_to_fen(Decimal(amount)) == fen
    assert fen_to_yuan(fen) == Decimal(amount)
    assert fen_to_yuan(fen).as_tuple().exponent == -2


@pytest.mark.parametrize("fen", ["100", 1.5, True, -1, None])
def test_fen_must_be_a_json_integer(fen):
    with pytest.raises(ValueError):
        fen_to_yuan(fen)
