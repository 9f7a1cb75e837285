"""English dates are written "17 Dec 2026" (not the American 12/17/2026); Chinese keeps
Django's formats; date fields still read back what they render; CSV stays ISO."""

from __future__ import annotations

import datetime as dt

import pytest
from django import forms
from django.template import Context, Template
from django.utils import translation
from django.utils.formats import date_format

from core.csv_export import csv_safe_cell

DAY = dt.date(2026, 12, 17)
MOMENT = dt.datetime(2026, 12, 17, 14, 5)


class _DayForm(forms.Form):
    day = forms.DateField()
    at = forms.DateTimeField(required=False)


@pytest.mark.parametrize("name", ["DATE_FORMAT", "SHORT_DATE_FORMAT"])
def test_english_dates_put_the_day_before_the_month_name(name):
    with translation.override("en"):
        assert date_format(DAY, name) == "17 Dec 2026"


@pytest.mark.parametrize("name", ["DATETIME_FORMAT", "SHORT_DATETIME_FORMAT"])
def test_english_date_times_use_the_same_day_and_a_24_hour_clock(name):
    with translation.override("en"):
        assert date_format(MOMENT, name) == "17 Dec 2026, 14:05"


def test_templates_write_english_dates_unambiguously():
    template = Template('{{ day|date:"SHORT_DATE_FORMAT" }} / {{ day }}')
    with translation.override("en"):
        assert template.render(Context({"day": DAY})) == "17 Dec 2026 / 17 Dec 2026"


def test_chinese_dates_keep_djangos_format():
    with translation.override("zh-hans"):
        assert date_format(DAY, "SHORT_DATE_FORMAT") == "2026年12月17日"
        assert date_format(MOMENT, "DATETIME_FORMAT") == "2026年12月17日 14:05"


def test_an_english_date_field_renders_iso_and_reads_it_back():
    with translation.override("en"):
        rendered = str(_DayForm(initial={"day": DAY})["day"])
        assert 'value="2026-12-17"' in rendered
        form = _DayForm(data={"day": "2026-12-17"})
        assert form.is_valid() and form.cleaned_data["day"] == DAY


def test_an_english_date_field_reads_the_written_form_but_not_the_american_one():
    with translation.override("en"):
        assert _DayForm(data={"day": "17 Dec 2026"}).is_valid()
        # 03/04/2026 is 4 March to some and 3 April to others: refused, not guessed.
        assert not _DayForm(data={"day": "12/17/2026"}).is_valid()
        form = _DayForm(data={"day": "2026-12-17", "at": "17 Dec 2026, 14:05"})
        assert form.is_valid() and form.cleaned_data["at"].hour == 14


def test_csv_cells_stay_iso_whatever_the_language():
    with translation.override("en"):
        assert csv_safe_cell(DAY) == "2026-12-17"
