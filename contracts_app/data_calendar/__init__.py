"""The data calendar (issue 15): which contract's sheet for which month is in, provisional, disputed, staged,
not yet due or overdue; and the daily reminders built on the same cells."""
