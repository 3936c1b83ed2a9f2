"""Fixed reference entities shared by every generated record.

Teams, services, environments and severities are the same for every seed: downstream models
join incidents to dashboards through team ids, so those ids must not depend on the seed or
the data size. Word lists feed the text generators; a few entries are non-ASCII on purpose
so that loaders and warehouses meet real-world Unicode.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Incident kinds and how often each occurs (weights, mostly ``normal``).
KINDS: tuple[str, ...] = (
    "normal",
    "normal_sub",
    "backfilled",
    "scheduled",
    "test",
    "test_sub",
    "example",
    "example_sub",
)
KIND_WEIGHTS: tuple[float, ...] = (80, 5, 3, 4, 4, 1, 2, 1)
KIND_CODE: dict[str, int] = {name: code for code, name in enumerate(KINDS)}
SCHEDULED_KIND = KIND_CODE["scheduled"]

#: Every status the API can report; stored per record as the index into this tuple.
STATUSES: tuple[str, ...] = (
    "in_triage",
    "started",
    "mitigated",
    "resolved",
    "closed",
    "cancelled",
    "scheduled",
    "in_progress",
    "completed",
)
STATUS_CODE: dict[str, int] = {name: code for code, name in enumerate(STATUSES)}


@dataclass(frozen=True)
class Severity:
    """One severity level; ``level`` is the spec's critical/high/medium/low enum."""

    id: str
    name: str
    level: str
    description: str | None
    color: str
    position: int


SEVERITIES: tuple[Severity, ...] = (
    Severity(
        "8c1b9f0e-5a61-4c2e-9d3a-000000000000",
        "SEV0",
        "critical",
        "Customer-facing outage of a core product. Page everyone.",
        "#D92D20",
        0,
    ),
    Severity(
        "8c1b9f0e-5a61-4c2e-9d3a-000000000001",
        "SEV1",
        "high",
        "Major degradation for many customers.",
        "#F79009",
        1,
    ),
    Severity(
        "8c1b9f0e-5a61-4c2e-9d3a-000000000002",
        "SEV2",
        "medium",
        None,
        "#FDB022",
        2,
    ),
    Severity(
        "8c1b9f0e-5a61-4c2e-9d3a-000000000003",
        "SEV3",
        "low",
        "Minor issue, workaround available — fix during business hours.",
        "#12B76A",
        3,
    ),
)
#: Share of incidents per severity code; the last weight is "no severity" (null).
SEVERITY_WEIGHTS: tuple[float, ...] = (5, 17, 40, 34, 4)
NO_SEVERITY = len(SEVERITIES)
#: Severities were configured once, before any incident.
SEVERITY_CREATED_AT = "2025-11-03T09:15:00.000Z"
SEVERITY_UPDATED_AT = "2025-12-14T16:42:10.250Z"


@dataclass(frozen=True)
class Named:
    """A service, environment or team: a stable string id, a name and a slug."""

    id: str
    name: str
    slug: str


#: Teams ("groups" in the API). Dashboards carry the same integer ids as ``team_id``.
TEAMS: tuple[Named, ...] = tuple(
    Named(str(number), name, slug)
    for number, (name, slug) in enumerate(
        (
            ("Platform", "platform"),
            ("Payments", "payments"),
            ("Search & Discovery", "search-discovery"),
            ("Mobile", "mobile"),
            ("Data Infrastructure", "data-infrastructure"),
            ("Identity", "identity"),
            ("Growth 🚀", "growth"),
            ("Équipe Support", "equipe-support"),
        ),
        start=1,
    )
)
TEAM_IDS: tuple[int, ...] = tuple(int(team.id) for team in TEAMS)

SERVICES: tuple[Named, ...] = tuple(
    Named(f"5e0a7c3d-1f42-4b8e-a6d1-{number:012d}", name, slug)
    for number, (name, slug) in enumerate(
        (
            ("API Gateway", "api-gateway"),
            ("Checkout", "checkout"),
            ("Payments Processor", "payments-processor"),
            ("Search Indexer", "search-indexer"),
            ("Auth Service", "auth-service"),
            ("Notifications", "notifications"),
            ("Mobile Backend", "mobile-backend"),
            ("Data Warehouse", "data-warehouse"),
            ("Billing", "billing"),
            ("CDN", "cdn"),
            ("Recommendations", "recommendations"),
            ("Kafka Cluster", "kafka-cluster"),
        ),
        start=1,
    )
)

ENVIRONMENTS: tuple[Named, ...] = tuple(
    Named(f"e7d4b2a1-93c0-4f5b-8e27-{number:012d}", name, slug)
    for number, (name, slug) in enumerate(
        (
            ("Production", "production"),
            ("Staging", "staging"),
            ("Development", "development"),
            ("EU Production", "eu-production"),
        ),
        start=1,
    )
)
#: Production dominates real incident streams.
ENVIRONMENT_WEIGHTS: tuple[float, ...] = (60, 20, 8, 12)

SOURCES: tuple[str, ...] = ("web", "slack", "api", "pagerduty", "opsgenie", "email")
SOURCE_WEIGHTS: tuple[float, ...] = (35, 35, 15, 8, 4, 3)

INCIDENT_URL_BASE = "https://incidents.example.com/account/incidents/"

# --- text building blocks ------------------------------------------------------------------

TITLE_SUBJECTS: tuple[str, ...] = (
    "API latency",
    "Checkout errors",
    "Login failures",
    "Payment declines",
    "Search timeouts",
    "Push notifications delayed",
    "Database replication lag",
    "Elevated 5xx rate",
    "Disk pressure",
    "Certificate expiry",
    "Memory leak",
    "Queue backlog",
    "DNS resolution errors",
    "Cache stampede",
    "Webhook deliveries failing",
)
TITLE_QUALIFIERS: tuple[str, ...] = (
    "in {service}",
    "on {service}",
    "after deploy of {service}",
    "for EU customers",
    "during peak traffic",
    "for mobile users",
    "in {environment}",
)
#: Titles that exercise non-ASCII handling end to end (CJK, accents, emoji).
UNICODE_TITLES: tuple[str, ...] = (
    "決済APIのレイテンシ上昇",
    "Zahlungsdienst ausgefallen — Köln",
    "Échec de connexion des utilisateurs",
    "🔥 Checkout is on fire",
    "Ошибка репликации базы данных",
    "Retraso en notificaciones ⏱️",
    "서비스 응답 지연",
    "Ünïcödé slug test ✅",
)
SUMMARY_SENTENCES: tuple[str, ...] = (
    "Customers reported intermittent failures.",
    "Error rates rose above the alerting threshold.",
    "The on-call engineer rolled back the latest deploy.",
    "A configuration change exhausted the connection pool.",
    "Traffic was shifted to the secondary region.",
    "Upstream provider confirmed a partial outage.",
    "Monitoring detected the regression before customers did.",
    "A runaway batch job saturated the database CPU.",
    "Les clients européens ont été les plus touchés.",
    "根本原因は設定ミスでした。",
    "Impact was limited to a small share of requests 📉.",
)
UPDATE_SENTENCES: tuple[str, ...] = (
    "Follow-up: action items filed.",
    "Update: timeline corrected after review.",
    "Update: customer communication sent.",
    "Update: retrospective scheduled.",
)
LABEL_KEYS: tuple[str, ...] = ("platform", "version", "region", "customer_tier", "cause", "team")
LABEL_VALUES: tuple[str, ...] = (
    "osx",
    "1.29",
    "eu-west-1",
    "us-east-1",
    "enterprise",
    "free",
    "config",
    "capacity",
    "dépendance",
    "データベース",
)

# --- dashboards ----------------------------------------------------------------------------

DASHBOARD_COLORS: tuple[str, ...] = ("#FCF2CF", "#D7F5E1", "#E9E2FF", "#FAE6E8", "#FAEEE6")
DASHBOARD_ICONS: tuple[str, ...] = ("📊", "📈", "🚨", "🛠️", "🔥", "✅", "🧭", "🐢")
DASHBOARD_RANGES: tuple[str, ...] = (
    "last_7_days",
    "last_30_days",
    "last_90_days",
    "last_6_months",
    "last_year",
)
DASHBOARD_PERIODS: tuple[str, ...] = ("day", "week", "month")
DASHBOARD_TOPICS: tuple[str, ...] = (
    "Incident overview",
    "MTTR by severity",
    "On-call load",
    "Service health",
    "Weekly review",
    "Postmortem tracker",
    "Executive summary",
    "Tableau de bord fiabilité",
    "障害トレンド",
)
