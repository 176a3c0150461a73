"""The daemon's schedule: triggers from config, jobs that never overlap or pile up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from newsarchiver.daemon import DEFAULT_DISCOVERY, Daemon, trigger_for
from newsarchiver.models import Settings, Source
from newsarchiver.store import Archive


def test_triggers_from_schedules() -> None:
    every = trigger_for("every 15m")
    assert isinstance(every, IntervalTrigger)
    assert every.interval == timedelta(minutes=15)
    cron = trigger_for("*/20 6-23 * * mon-fri")
    assert isinstance(cron, CronTrigger)
    start = datetime(2024, 5, 6, 5, 0, tzinfo=UTC)  # a Monday, before 06:00
    assert cron.get_next_fire_time(None, start) == datetime(2024, 5, 6, 6, 0, tzinfo=UTC)
    default = trigger_for(None)
    assert isinstance(default, IntervalTrigger)
    assert default.interval == DEFAULT_DISCOVERY


def test_jobs_never_overlap_and_misfires_coalesce(sqlite_url: str) -> None:
    settings = Settings(sources=(Source(name="a", schedule="every 1h"),
                                 Source(name="b", schedule="0 * * * *")))
    with Archive.open(sqlite_url) as archive:
        daemon = Daemon(settings, archive, worker="test", tick=timedelta(hours=1))
        daemon.start()  # the sources list no URLs: the passes that fire now are empty
        try:
            jobs = {job.id: job for job in daemon.scheduler.get_jobs()}
            assert set(jobs) == {"discover:a", "discover:b", "recheck"}
            for job in jobs.values():
                assert job.max_instances == 1
                assert job.coalesce is True
                assert job.misfire_grace_time is None
        finally:
            daemon.stop()
            daemon.wait()
