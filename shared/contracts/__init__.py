"""Event contracts shared by every service: envelope, event data, topics, statuses. No I/O."""
