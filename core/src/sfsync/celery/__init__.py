"""sfsync on Celery: nightly fan-out over many workers, with shared rate budgets.

Install with ``pip install 'sfsync[celery,postgres]'``. The pieces:

* :mod:`sfsync.celery.app` — the Celery app, configured from ``SFSYNC_*`` environment variables,
  one queue per connector (``celery -A sfsync.celery.app worker``);
* :mod:`sfsync.celery.tasks` — ``sfsync.sync_dossier`` (idempotent, resumable, soft time limit,
  acknowledged late), ``sfsync.plan_night`` and :func:`~sfsync.celery.tasks.sync_now`;
* :mod:`sfsync.celery.planner` — how the due dossiers are spread over the night;
* :mod:`sfsync.celery.ratelimit` — :class:`RedisLimiterBackend`, rate budgets per credential shared
  by every worker (daily budgets and ``Retry-After`` pauses included);
* :mod:`sfsync.celery.locks` — :class:`RedisLockFactory`, one token refresher per connection.

The store of a distributed deployment is :class:`sfsync.store.postgres.PostgresStore`, whose run
lock frees itself when the worker holding it dies.
"""

from sfsync.celery.locks import RedisLockFactory
from sfsync.celery.ratelimit import RedisLimiterBackend

__all__ = ["RedisLimiterBackend", "RedisLockFactory"]
