"""Running unattended: the cron schedule, re-check tiers, the daemon and its status.

* ``cron``: a ``[schedule]`` crontab line as an APScheduler trigger, and the scheduler's policy.
* ``tiers``: which archived URLs a pass re-checks, decided from times.
* ``service``: the ``Daemon`` (signals, passes, heartbeat, state file, one daemon per archive).
* ``status``: what the daemon leaves behind, read back as ``status``.
"""

from series_archiver.daemon.cron import build_scheduler, build_trigger, zone
from series_archiver.daemon.service import Daemon
from series_archiver.daemon.status import DAEMON_KIND, PASS_KIND, status, status_lines
from series_archiver.daemon.tiers import RecheckPlan, Tiers, plan_rechecks

__all__ = [
    "DAEMON_KIND",
    "PASS_KIND",
    "Daemon",
    "RecheckPlan",
    "Tiers",
    "build_scheduler",
    "build_trigger",
    "plan_rechecks",
    "status",
    "status_lines",
    "zone",
]
