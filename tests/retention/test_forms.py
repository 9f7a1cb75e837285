from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from billing.forms import PaymentForm
from renewals.forms import ContactForm, OfflineSignatureForm
from retention.forms import ConfirmForm

DAY = dt.date(2026, 12, 3)


@pytest.mark.parametrize(
    ("form_class", "field"),
    [
        (ConfirmForm, "effective_date"),
        (OfflineSignatureForm, "signed_on"),
        (PaymentForm, "received_on"),
        (ContactForm, "next_action_date"),
    ],
)
def test_it_gives_date_inputs_an_iso_value_in_chinese(form_class, field):
    # <input type="date"> accepts only yyyy-mm-dd; zh-hans formats dates as 2026/12/03,
    # which the browser rejects and shows as an empty field.
    with translation.override("zh-hans"):
        html = str(form_class(initial={field: DAY})[field])

    assert 'value="2026-12-03"' in html
