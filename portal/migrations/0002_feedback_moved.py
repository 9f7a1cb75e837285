"""Feedback, its replies and its status history now belong to insights (insights 0004
took over their tables): they leave portal's migration state; nothing changes in the
database."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0001_initial"),
        ("insights", "0004_feedback_moved"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="FeedbackEvent"),
                migrations.DeleteModel(name="FeedbackReply"),
                migrations.DeleteModel(name="Feedback"),
            ]
        )
    ]
