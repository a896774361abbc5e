"""SLA service: ship-by, delivery, dispute and confirmation deadlines (DESIGN §1).

Pure core, no I/O, every instant an argument: ``calendar``, ``deadlines``, ``rules``,
``escalation``, ``tracking``, ``localtime``, ``assessment``, ``marketplace``. At the edges:
``store`` (asyncpg), ``handlers`` (consumers), ``sweeper``, ``service`` (the use case),
``entrypoint`` (composition root). See docs/sla.md.
"""
