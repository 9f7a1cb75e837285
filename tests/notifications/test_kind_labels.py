"""Staff read what a message is ("Renewal reminder"), not its template key."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.template.utils import get_app_template_dirs
from django.urls import reverse
from django.utils import translation

from lifecycle.reminder_sweep import reminders_sweep
from notifications.models import Channel, Message
from notifications.selectors import message_kind_label

from .conftest import AS_OF


def test_the_outbox_shows_the_translated_kind_in_english_and_chinese(make_contract, client):
    contract = make_contract(30)
    reminders_sweep(as_of=AS_OF)
    client.force_login(contract.owner)

    english = client.get(reverse("notifications:outbox")).text
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    chinese = client.get(reverse("notifications:outbox")).text

    assert ">Renewal reminder</td>" in english
    assert ">续约提醒</td>" in chinese
    # the kind filter offers the labels too, and still submits the key
    assert '<option value="renewal_reminder">续约提醒</option>' in chinese
    assert '<option value="dunning">付款提醒</option>' in chinese
    assert '<option value="feedback_reply">反馈回复</option>' in chinese


def test_an_unknown_kind_shows_its_key(make_contract, client):
    contract = make_contract(30)
    Message.objects.create(
        customer=contract.customer,
        contract=contract,
        channel=Channel.EMAIL,
        to_address="a@example.com",
        kind="made_up_kind",
        template_kind="made_up_kind",
        language="en",
        dedupe_key="made-up-1",
    )
    client.force_login(contract.owner)

    html = client.get(reverse("notifications:outbox")).text

    assert ">made_up_kind</td>" in html
    assert message_kind_label("made_up_kind") == "made_up_kind"
    assert message_kind_label("") == ""


def test_the_message_page_and_the_contract_page_show_the_label(make_contract, client):
    contract = make_contract(30)
    reminders_sweep(as_of=AS_OF)
    message = Message.objects.filter(contract=contract).first()
    client.force_login(contract.owner)

    detail = client.get(reverse("notifications:detail", args=[message.pk])).text
    contract_page = client.get(reverse("contracts:detail", args=[contract.pk])).text

    assert "Renewal reminder <code" in detail
    assert ">Renewal reminder" in contract_page


def _template_kinds() -> set[str]:
    """Every kind with a message template file (templates/emails/<kind>.* in any app)."""
    dirs = [*get_app_template_dirs("templates"), *map(Path, settings.TEMPLATES[0]["DIRS"])]
    return {
        path.name.split(".", 1)[0]
        for folder in dirs
        for path in (Path(folder) / "emails").glob("*.txt")
    } - {"base"}


def test_every_kind_with_a_template_has_a_label_in_both_languages():
    kinds = _template_kinds()
    assert {"sla_claim_filed_staff", "sla_claim_approved", "campaign"} <= kinds

    for kind in sorted(kinds):
        with translation.override("en"):
            english = message_kind_label(kind)
        with translation.override("zh-hans"):
            chinese = message_kind_label(kind)
        assert english != kind, f"{kind} has no label"
        assert chinese != english, f"{kind}: {english!r} has no zh-hans translation"


def test_the_outbox_filter_offers_the_relations_kinds(make_contract, client):
    contract = make_contract(30)
    client.force_login(contract.owner)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"

    chinese = client.get(reverse("notifications:outbox")).text

    assert '<option value="sla_claim_approved">赔偿申请已批准</option>' in chinese
    assert '<option value="campaign">营销活动消息</option>' in chinese
