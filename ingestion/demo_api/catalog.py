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

# --- the other catalogs (served by /v1/teams, /v1/services, ... see catalogs.py) -----------
# Like the teams, services and environments above, these are the same for every seed: the
# catalogs are reference data that every other record points at by id.

#: Which team owns each service of ``SERVICES`` (team numbers, 1-based, in service order).
SERVICE_OWNERS: tuple[int, ...] = (1, 2, 2, 3, 6, 7, 4, 5, 2, 1, 3, 5)

INCIDENT_TYPES: tuple[tuple[str, str], ...] = (
    ("Outage", "outage"),
    ("Degraded Performance", "degraded-performance"),
    ("Security", "security"),
    ("Data Integrity", "data-integrity"),
    ("Third-party Outage", "third-party-outage"),
    ("Customer Reported", "customer-reported"),
)
FUNCTIONALITIES: tuple[tuple[str, str], ...] = (
    ("Sign in", "sign-in"),
    ("Checkout", "checkout"),
    ("Search", "search"),
    ("Push Notifications", "push-notifications"),
    ("Payments", "payments"),
    ("Reporting", "reporting"),
    ("Onboarding", "onboarding"),
    ("Public API", "public-api"),
)
#: Alert sources: name and the spec's ``source_type``; the weights say how many alerts each sends.
ALERT_SOURCES: tuple[tuple[str, str], ...] = (
    ("Datadog", "datadog"),
    ("Grafana", "grafana"),
    ("Sentry", "sentry"),
    ("CloudWatch", "cloud_watch"),
    ("Alertmanager", "alertmanager"),
    ("Email alerts", "email"),
    ("Generic webhook", "generic_webhook"),
)
ALERT_SOURCE_WEIGHTS: tuple[float, ...] = (35, 20, 15, 10, 10, 5, 5)
#: Alert urgencies, most urgent first: name, description, color.
ALERT_URGENCIES: tuple[tuple[str, str, str], ...] = (
    ("High", "Page the on-call engineer now.", "#D92D20"),
    ("Medium", "Notify during working hours.", "#F79009"),
    ("Low", "Review in the weekly triage.", "#12B76A"),
)
ALERT_URGENCY_WEIGHTS: tuple[float, ...] = (25, 45, 30)
#: Entries nobody refers to (retired ones): the only base entries a change batch may delete.
LEGACY_ENTRIES: dict[str, tuple[str, str]] = {
    "teams": ("Ops (legacy)", "ops-legacy"),
    "services": ("Legacy Monolith", "legacy-monolith"),
    "environments": ("QA", "qa"),
    "incident_types": ("Fire Drill 🔥", "fire-drill"),
    "functionalities": ("Fax Gateway", "fax-gateway"),
    "alert_sources": ("Nagios (old)", "nagios"),
    "alert_urgencies": ("Informational", "informational"),
}
#: Names a change batch gives to the entries it adds, per catalog (cycled, then numbered).
NEW_ENTRY_NAMES: dict[str, tuple[str, ...]] = {
    "teams": ("Reliability", "Frontend", "Security Operations", "Équipe Données"),
    "services": ("Fraud Detection", "Feature Flags", "Image Resizer", "Ledger", "GraphQL Gateway"),
    "environments": ("Canary", "Sandbox", "APAC Production"),
    "incident_types": ("Capacity", "Compliance", "Vendor Degradation"),
    "functionalities": ("Refunds", "Invoices", "Single Sign-On", "Webhooks"),
    "users": ("Robin Meyer", "Kenji Watanabe", "Zoë Laurent", "Priya Raman", "Tomás Ortega"),
    "alert_sources": ("New Relic", "Honeycomb", "Splunk", "Checkly"),
    "alert_urgencies": ("Critical", "Deferred"),
}
NEW_SOURCE_TYPES: dict[str, str] = {
    "New Relic": "new_relic",
    "Honeycomb": "honeycomb",
    "Splunk": "splunk",
    "Checkly": "checkly",
}

#: The people: users 1000..1199, the ids dashboards name as ``user_id``.
USER_BASE_ID = 1000
USER_COUNT = 200
#: Deactivated accounts after the regular users; nothing refers to them.
LEGACY_USERS = 4
FIRST_NAMES: tuple[str, ...] = (
    "Ada", "Grace", "Linus", "Margaret", "Alan", "Barbara", "Dennis", "Frances", "Ken", "Radia",
    "Edsger", "Hedy", "Sophie", "Yukihiro", "Guido", "Anita", "Björn", "Chloé", "Mei", "Olusegun",
    "Ana", "Dmitri", "Fatima", "Jürgen", "Sven",
)  # fmt: skip
LAST_NAMES: tuple[str, ...] = (
    "Lovelace", "Hopper", "Torvalds", "Hamilton", "Turing", "Liskov", "Ritchie", "Allen",
    "Thompson", "Perlman", "Dijkstra", "Lamarr", "Wilson", "Matsumoto", "van Rossum", "Borg",
    "Ström", "Dubois", "Chen", "Adeyemi", "Souza", "Ivanov", "Haddad", "Müller",
)  # fmt: skip
TIME_ZONES: tuple[str, ...] = (
    "Europe/Berlin", "America/New_York", "America/Los_Angeles", "Europe/London", "Asia/Tokyo",
    "Europe/Paris", "Asia/Kolkata", "America/Sao_Paulo",
)  # fmt: skip

# --- alerts, action items, retrospectives: text building blocks ---------------------------

ALERT_SUBJECTS: tuple[str, ...] = (
    "High error rate",
    "p99 latency above SLO",
    "CPU above 90%",
    "Disk usage above 85%",
    "Pod crash looping",
    "Heartbeat missing",
    "Queue depth growing",
    "5xx responses spiking",
    "Certificate expires in 7 days",
    "Replication lag above 30s",
    "Synthetic check failing",
    "Memory usage above 95%",
)
ALERT_LABEL_KEYS: tuple[str, ...] = ("region", "cluster", "team", "priority", "threshold", "paged")
ACTION_ITEM_VERBS: tuple[str, ...] = (
    "Add alerting on",
    "Write a runbook for",
    "Add a load test for",
    "Raise the connection pool of",
    "Add retries with backoff to",
    "Document the failover of",
    "Remove the single point of failure in",
    "Add a dashboard panel for",
    "Upgrade the client library of",
    "Review capacity planning for",
)
POST_MORTEM_SECTIONS: tuple[str, ...] = (
    "## Summary",
    "## Impact",
    "## Timeline",
    "## Root cause",
    "## What went well",
    "## What went wrong",
    "## Action items",
)
