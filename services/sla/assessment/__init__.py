"""What an order's SLA situation calls for at an instant: events to emit, timers to set.

Pure: the facts stored for one order and ``now`` come in; out come the SLA events due
now (each with a deterministic id), the breach records that changed, and the timers at
which the order must be looked at again. The consumers call
:func:`~services.sla.assessment.assess.assess` after recording a fact, the sweeper when a
timer falls due: both reach the same verdict.

Every breach kind is raised at most once per order (then escalated once, from the
seller tier to ops) and resolved at most once; a timer is always later than ``now``.

- ``facts``: what is known of the order (its details, shipments, disputes, breaches);
- ``verdict``: what an assessment decides (events, breach records, deadlines, timers);
- ``rule``: what a rule reads (the context at an instant) and says;
- ``order_rules``, ``parcel_rules``, ``dispute_rules``: the rules, one class per SLA kind;
- ``notices``: the delivery and documents-received notices;
- ``assess``: every rule in turn, raising, resolving and escalating breaches.
"""
