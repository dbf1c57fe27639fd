"""Prometheus figures of one hub; each hub has its own registry so tests can build many."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class HubMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.intake = Counter(
            "ld_hub_intake_total", "Intake requests by result", ["result"], registry=r
        )
        self.reports = Counter(
            "ld_hub_reports_total", "Reports applied, by kind", ["kind"], registry=r
        )
        self.rejected = Counter(
            "ld_hub_rejected_total", "Messages refused, by reason", ["reason"], registry=r
        )
        self.rejected_unkept = Counter(
            "ld_hub_rejected_unkept_total",
            "Refused messages counted but not kept raw (a unit past its rate)",
            registry=r,
        )
        self.duplicates = Counter("ld_hub_duplicates_total", "Reports seen before", registry=r)
        self.published = Counter(
            "ld_hub_published_total", "Messages published, by kind", ["kind"], registry=r
        )
        self.fired = Counter(
            "ld_hub_deadlines_fired_total", "Deadlines missed", ["name"], registry=r
        )
        self.inflight = Gauge(
            "ld_hub_inflight", "Messages handed to paho, not yet acknowledged", registry=r
        )
        self.connected = Gauge(
            "ld_hub_mqtt_connected", "1 while connected to the broker", registry=r
        )
        self.revoked = Gauge(
            "ld_hub_revoked_units", "Units whose certificate is revoked: sent nothing", registry=r
        )
        self.apply_seconds = Histogram(
            "ld_hub_report_apply_seconds",
            "Time to verify and commit one batch of reports",
            registry=r,
        )
        self.notifications = Counter(
            "ld_hub_notifications_total",
            "Escalation SMS attempts by outcome: sent, retry (failed, tried again later), "
            "failed (gave up), deferred (past the phone's rate), void (no longer needed)",
            ["outcome"],
            registry=r,
        )
        self.notifications_pending = Gauge(
            "ld_hub_notifications_pending", "Escalation SMS queued, not yet sent", registry=r
        )
