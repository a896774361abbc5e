"""The embedded stack: PostgreSQL and a Kafka-protocol broker from wheels, and the services."""
