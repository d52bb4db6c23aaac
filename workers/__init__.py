"""RQ jobs as plain functions taking ids and primitives, the cron table, the worker and clock
entry points, the administration CLI and the quick start."""
