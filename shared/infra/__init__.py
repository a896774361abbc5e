"""Infrastructure every service shares: settings, database, Kafka, outbox, inbox, HTTP."""
