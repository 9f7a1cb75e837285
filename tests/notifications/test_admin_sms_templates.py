"""The SMS templates admin says what the (often empty) list is for: which message kinds
need a template per provider and language, and what happens without one."""

from __future__ import annotations

import pytest
from django.urls import reverse

from notifications.models import MessageKind, SmsTemplate
from relations.campaigns import MESSAGE_KIND
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "en",
            [
                "send only the SMS templates they approved",
                "renewal reminders and the statutory automatic-renewal notices",
                "campaign messages sent by SMS",
                "fails at once with a clear error",
            ],
        ),
        ("zh-hans", ["只发送其审核通过的短信模板", "续约提醒和法定的自动续费通知", "立即失败"]),
    ],
)
def test_the_empty_list_explains_which_templates_are_needed(client, language, words):
    admin = UserFactory(is_staff=True, is_superuser=True, language=language)
    client.force_login(admin)

    response = client.get(reverse("admin:notifications_smstemplate_changelist"))

    assert response.status_code == 200
    assert not SmsTemplate.objects.exists()
    help_box = response.text.split('id="sms-template-help"', 1)[1].split("</div>", 1)[0]
    for word in words:
        assert word in help_box, word
    for kind in ("renewal_reminder", "campaign"):
        assert f"<code>{kind}</code>" in help_box


def test_the_kinds_named_are_the_ones_sent_by_sms():
    """The help names the kinds that reach the SMS channel: renewal reminders (and the
    statutory notices, sent as renewal reminders) and campaigns."""

    assert MessageKind.RENEWAL_REMINDER == "renewal_reminder"
    assert MESSAGE_KIND == "campaign"
