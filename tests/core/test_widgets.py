"""core.widgets.FastSelect writes the same select as Django's template-rendered one."""

from __future__ import annotations

import re

from django import forms

from core.widgets import FastSelect

CHOICES = [("", "All <managers>"), ("1", "Zhao & Min"), ("Team", [("2", "Wang “Li”")])]


class _Form(forms.Form):
    fast = forms.ChoiceField(
        choices=CHOICES, required=False, widget=FastSelect(attrs={"class": "form-select"})
    )
    slow = forms.ChoiceField(
        choices=CHOICES, required=False, widget=forms.Select(attrs={"class": "form-select"})
    )


def _normal(html: str) -> str:
    return re.sub(r">\s+<", "><", html.strip())


def test_same_html_as_djangos_select_escaped_and_selected():
    form = _Form({"fast": "1", "slow": "1"})
    fast = str(form["fast"])
    slow = str(form["slow"]).replace('name="slow"', 'name="fast"').replace("id_slow", "id_fast")
    assert _normal(fast) == _normal(slow)
    assert "All &lt;managers&gt;" in fast and "Zhao &amp; Min" in fast
    assert '<option value="1" selected>' in fast
    assert '<optgroup label="Team">' in fast
