"""Administration services: clearance, the status matrix, dashboard, reports, users, reminders."""
