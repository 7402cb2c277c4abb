"""The Celery application: configured from the environment, one queue per connector.

Run workers and the nightly scheduler with::

    export SFSYNC_CELERY_BROKER=redis://redis:6379/0
    export SFSYNC_STORE_URL=postgresql://sfsync:…@db/sfsync
    export SFSYNC_SECRET_KEY=…                        # `sfsync secret-key`
    celery -A sfsync.celery.app worker -Q sfsync,sfsync.exact-be,sfsync.yuki --prefetch-multiplier 1
    celery -A sfsync.celery.app beat                  # the nightly planner

Environment:

``SFSYNC_CELERY_BROKER``
    The broker (Redis by default: ``redis://localhost:6379/0``; RabbitMQ ``amqp://`` works too).
``SFSYNC_REDIS_URL``
    Where the shared rate budgets and refresh locks live (default: the broker, when it is Redis).
``SFSYNC_STORE_URL``
    The store (``postgresql://…``; a SQLite path only makes sense for one worker on one machine).
``SFSYNC_SECRET_KEY``
    The key the connections' credentials are sealed with.
``SFSYNC_CELERY_QUEUES``
    The queues a worker consumes when started without ``-Q`` (default: ``sfsync`` and one per
    installed connector).
``SFSYNC_CELERY_SOFT_TIME_LIMIT``
    Seconds after which a run stops at its next await and continues from its checkpoint in a new
    task (default 3 hours); the hard limit is 10 minutes more.
``SFSYNC_CELERY_VISIBILITY_TIMEOUT``
    Redis broker: seconds after which a task taken by a worker that died is given to another one
    (default: the night window plus the soft time limit, so that tasks the planner delayed are
    not handed out twice).
``SFSYNC_NIGHT_START``, ``SFSYNC_NIGHT_WINDOW``
    When the planner runs (``HH:MM`` UTC, default ``01:00``) and over how many seconds it spreads
    the due dossiers (default 4 hours).
``SFSYNC_CELERY_CONFIGURE``
    ``module:function`` called with each worker's :class:`~sfsync.api.Sfsync` after it is built
    (mount transports, register an in-house connector, add observers).

Queues: ``sfsync`` carries the planner; ``sfsync.<connector>`` carries that connector's syncs, so
a package that throttles (its tasks waiting on its budget) never holds up another package's
workers. "Sync now" goes on the same queue with a higher priority than the nightly runs.
"""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from celery.schedules import crontab
from celery.signals import celeryd_init
from kombu import Exchange, Queue  # type: ignore[attr-defined]  # kombu ships no type hints

__all__ = [
    "NIGHTLY_PRIORITY",
    "PLANNER_QUEUE",
    "SYNC_NOW_PRIORITY",
    "app",
    "create_app",
    "default_queues",
    "queue_for",
]

PLANNER_QUEUE = "sfsync"

# Redis lists priorities as 0 (first) … 9 (last); RabbitMQ the other way round. These are the
# Redis values; create_app swaps them for AMQP brokers.
SYNC_NOW_PRIORITY = 0
NIGHTLY_PRIORITY = 6


def queue_for(connector: str) -> str:
    """The queue of a connector's sync tasks."""
    return f"{PLANNER_QUEUE}.{connector}"


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


def create_app(
    *,
    broker: str | None = None,
    redis_url: str | None = None,
    store_url: str | None = None,
    queues: list[str] | None = None,
    name: str = "sfsync",
) -> Celery:
    """Build the Celery app; arguments override the ``SFSYNC_*`` environment.

    Nothing connects until a worker starts or a task is sent.
    """
    broker = broker or os.environ.get("SFSYNC_CELERY_BROKER") or "redis://localhost:6379/0"
    soft = _env_float("SFSYNC_CELERY_SOFT_TIME_LIMIT", 3 * 3600.0)
    window = _env_float("SFSYNC_NIGHT_WINDOW", 4 * 3600.0)
    visibility = _env_float("SFSYNC_CELERY_VISIBILITY_TIMEOUT", window + soft + 600)
    amqp = broker.startswith(("amqp", "pyamqp"))
    start = os.environ.get("SFSYNC_NIGHT_START", "01:00")
    hour, minute = (int(part) for part in start.split(":"))

    app = Celery(name, broker=broker, include=["sfsync.celery.tasks"])
    app.conf.update(
        task_default_queue=PLANNER_QUEUE,
        task_create_missing_queues=True,
        task_acks_late=True,  # a worker that dies mid-run leaves its task to another
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,  # do not hoard tasks (or hold nightly ones ahead of "sync now")
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        timezone="UTC",
        enable_utc=True,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        broker_transport_options={
            "visibility_timeout": visibility,
            "unacked_restore_interval": max(1.0, min(60.0, visibility / 4)),
            "unacked_restore_throttle": 1,
            "priority_steps": list(range(10)),
            "sep": ":",
            "queue_order_strategy": "priority",
        },
        task_queue_max_priority=10 if amqp else None,
        # The soft limit is enforced inside the task (any pool); this hard one kills a stuck
        # prefork child, and the late ack hands its task to another worker.
        task_annotations={"sfsync.sync_dossier": {"time_limit": soft + 600}},
        beat_schedule={
            "sfsync-nightly": {
                "task": "sfsync.plan_night",
                "schedule": crontab(hour=hour, minute=minute),
                "options": {"queue": PLANNER_QUEUE},
            },
        },
    )
    app.conf.sfsync = {
        "redis_url": redis_url or os.environ.get("SFSYNC_REDIS_URL") or (None if amqp else broker),
        "store_url": store_url or os.environ.get("SFSYNC_STORE_URL"),
        "soft_time_limit": soft,
        "night_window": window,
        "sync_now_priority": 9 if amqp else SYNC_NOW_PRIORITY,
        "nightly_priority": 3 if amqp else NIGHTLY_PRIORITY,
    }
    wanted = queues or [q.strip() for q in os.environ.get("SFSYNC_CELERY_QUEUES", "").split(",") if q.strip()]

    @celeryd_init.connect(weak=False)  # type: ignore[untyped-decorator]  # celery is untyped
    def _queues(sender: Any = None, conf: Any = None, **_: Any) -> None:
        # Decided when a worker starts (not at import, which would load every plugin): the
        # planner's queue and one per installed connector, unless told otherwise (or -Q).
        if conf is not None and conf is app.conf:
            names = wanted or default_queues()
            # Each queue its own direct exchange and key (as Celery makes for a -Q name), so a
            # task sent to one connector's queue lands there only.
            conf.task_queues = [
                Queue(q, Exchange(q, type="direct"), routing_key=q)  # type: ignore[no-untyped-call]
                for q in names
            ]

    return app


def default_queues() -> list[str]:
    """The planner's queue and one queue per installed connector."""
    from sfsync.plugins import get_registry

    return [PLANNER_QUEUE, *(queue_for(c) for c in sorted(get_registry().connectors))]


def settings(celery_app: Any) -> dict[str, Any]:
    """sfsync's settings of a Celery app built by :func:`create_app`."""
    return celery_app.conf.sfsync  # type: ignore[no-any-return]


app = create_app()
"""The app ``celery -A sfsync.celery.app`` finds."""
