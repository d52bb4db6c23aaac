"""RQ jobs, queue names and the schedule. Jobs take ids and primitives, never objects."""

INBOUND = "inbound"
OUTBOUND = "outbound"
DEFAULT = "default"
QUEUES = (INBOUND, OUTBOUND, DEFAULT)
