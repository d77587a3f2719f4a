"""Running unattended: the cron schedule, re-check tiers, the daemon and its status."""

from .service import Daemon, Tiers, status

__all__ = ["Daemon", "Tiers", "status"]
