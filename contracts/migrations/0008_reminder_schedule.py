# Reserved for the reminder schedule (issue #17, point 6). It lives in notifications
# instead (notifications.ReminderSchedule, migration notifications 0006): a narrow table
# of its own rather than a column on the contract, because moving a schedule on the
# contract row rewrote all twenty of the contract table's indexes (8,000 rows: 2.3-3.9 s,
# three to five times the reminders' own insert). Kept so the migrations after it keep
# their dependency.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("contracts", "0007_active_end_number")]

    operations: list = []
