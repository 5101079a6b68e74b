"""The emulator's small reference entities: users, teams, pipelines, stages, activity types.

Shapes follow the vendor SDK models (pipedrive/client-php docs): v1 `BaseUser`,
`BaseTeam`, `ActivityTypeObjectResponse` (v1 timestamps `YYYY-MM-DD HH:MM:SS`,
team flags 0/1 as `NumberBoolean`), v2 `PipelineItem` and `StageItem` (RFC3339).
They are few, so they are built once as dicts.
"""

from __future__ import annotations

from typing import Any

from crm_assets.sources.pipedrive.emulator.data import DAY, SPAN, Dataset
from crm_assets.sources.pipedrive.emulator.http import rfc3339, v1_time

FIRST_NAMES = (
    "Ana", "Bruno", "Carla", "Diego", "Elena", "Felix", "Grace", "Hugo", "Ines", "Jonas",
    "Kira", "Lucas", "Maya", "Nils", "Olga", "Pedro", "Quinn", "Rosa", "Sven", "Tara",
    "Uma", "Victor", "Wendy", "Xavier", "Yara", "Zoe",
)  # fmt: skip
LAST_NAMES = (
    "Almeida", "Berg", "Costa", "Duarte", "Eriksen", "Fischer", "Garcia", "Hansen", "Ito",
    "Jensen", "Kowalski", "Lopez", "Moreau", "Novak", "Oliveira", "Petrov", "Quist", "Rossi",
    "Silva", "Tanaka", "Umar", "Virtanen", "Weber", "Young", "Zimmer",
)  # fmt: skip
PIPELINES = ("Sales", "Partnerships", "Renewals", "Enterprise", "Inbound", "Expansion")
STAGES = (
    ("Qualified", 10), ("Contact made", 20), ("Demo scheduled", 40),
    ("Proposal made", 60), ("Negotiations started", 80),
)  # fmt: skip
TEAMS = ("Inbound", "Outbound", "Enterprise", "Partners", "Customer success")
ACTIVITY_TYPES = (
    ("Call", "call", "call"), ("Meeting", "meeting", "meeting"), ("Task", "task", "task"),
    ("Deadline", "deadline", "deadline"), ("Email", "email", "email"), ("Lunch", "lunch", "lunch"),
    ("Demo", "demo", "presentation"), ("Follow-up", "follow_up", "bubble"),
)  # fmt: skip


def person_name(k: int) -> tuple[str, str]:
    return FIRST_NAMES[k % len(FIRST_NAMES)], LAST_NAMES[(k // len(FIRST_NAMES)) % len(LAST_NAMES)]


class Catalog:
    """Users, teams, pipelines with stages, and activity types of one dataset."""

    def __init__(self, data: Dataset):
        origin = data.present - SPAN - 30 * DAY  # the account predates its records
        self.origin = origin
        self.users = [_user(n, origin, data) for n in range(1, data.sizes["users"] + 1)]
        self.active_user_ids = [u["id"] for u in self.users if u["active_flag"]] or [1]
        self.teams = [_team(n, origin, len(self.users)) for n in range(1, data.sizes["teams"] + 1)]
        self.pipelines: list[dict[str, Any]] = []
        self.stages: list[dict[str, Any]] = []
        for n in range(1, data.sizes["pipelines"] + 1):
            name = PIPELINES[(n - 1) % len(PIPELINES)]
            if n > len(PIPELINES):
                name = f"{name} {n}"
            self.pipelines.append({
                "id": n, "name": name, "order_nr": n, "is_deleted": False,
                "is_deal_probability_enabled": n == 1,
                "add_time": rfc3339(origin + n * 3600), "update_time": rfc3339(origin + n * DAY),
            })  # fmt: skip
            for order, (stage, probability) in enumerate(STAGES, start=1):
                sid = len(self.stages) + 1
                self.stages.append({
                    "id": sid, "order_nr": order, "name": stage, "is_deleted": False,
                    "deal_probability": probability, "pipeline_id": n,
                    "is_deal_rot_enabled": order >= 3, "days_to_rotten": 30 if order >= 3 else None,
                    "add_time": rfc3339(origin + n * 3600 + order),
                    "update_time": rfc3339(origin + n * DAY + order * 60),
                })  # fmt: skip
        self.activity_types = [
            _activity_type(n, origin) for n in range(1, data.sizes["activity_types"] + 1)
        ]

    def stages_of(self, pipeline_id: int) -> list[dict[str, Any]]:
        return [s for s in self.stages if s["pipeline_id"] == pipeline_id]

    def user(self, user_id: int) -> dict[str, Any]:
        return self.users[user_id - 1]


def _user(n: int, origin: int, data: Dataset) -> dict[str, Any]:
    first, last = person_name(n * 7)
    r = data.rand("users", n)
    created = origin + n * 11 * DAY
    active = n == 1 or not r.chance(1, 8)
    return {
        "id": n, "name": f"{first} {last}", "default_currency": "USD", "locale": "en_US",
        "lang": 1, "email": f"{first}.{last}{n}@example.com".lower(), "phone": None,
        "activated": active, "last_login": v1_time(data.present - r(2) % (20 * DAY)),
        "created": v1_time(created), "modified": v1_time(created + r(3) % (300 * DAY)),
        "has_created_company": n == 1,
        "access": [{"app": "sales", "admin": n == 1, "permission_set_id": f"ps-{1 if n == 1 else 2}"}],
        "active_flag": active, "timezone_name": "Europe/Berlin", "timezone_offset": "+01:00",
        "role_id": 1 if n == 1 else 2, "icon_url": None, "is_you": n == 1, "is_deleted": False,
        "is_admin": 1 if n == 1 else 0,
    }  # fmt: skip


def _team(n: int, origin: int, users: int) -> dict[str, Any]:
    members = [u for u in range(1, users + 1) if u % max(1, n + 1) == 0] or [1]
    name = TEAMS[(n - 1) % len(TEAMS)] if n <= len(TEAMS) else f"Team {n}"
    return {
        "id": n, "name": name, "description": f"The {name.lower()} team", "manager_id": members[0],
        "users": members, "active_flag": 1, "deleted_flag": 0,
        "add_time": v1_time(origin + n * DAY), "created_by_user_id": 1,
    }  # fmt: skip


def _activity_type(n: int, origin: int) -> dict[str, Any]:
    name, key, icon = ACTIVITY_TYPES[(n - 1) % len(ACTIVITY_TYPES)]
    if n > len(ACTIVITY_TYPES):
        name, key = f"{name} {n}", f"{key}_{n}"
    custom = n > 6
    return {
        "id": n, "order_nr": n, "name": name, "key_string": key, "icon_key": icon,
        "active_flag": True, "color": "FFC300" if custom else None, "is_custom_flag": custom,
        "add_time": v1_time(origin + n * 60), "update_time": v1_time(origin + n * DAY),
    }  # fmt: skip
