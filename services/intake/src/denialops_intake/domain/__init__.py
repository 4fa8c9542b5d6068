"""Intake's pure domain logic: case work, the worklist's priority, reminders and analytics (no I/O)."""
