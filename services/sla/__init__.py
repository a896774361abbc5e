"""SLA service: ship-by, delivery, dispute and confirmation deadlines (DESIGN §1).

The modules here are the pure core: no I/O, and every instant comes in as an argument.
"""
