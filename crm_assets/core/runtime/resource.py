"""The base of every `<Source>Resource`: configuration and a client factory.

Secrets are optional fields bound from `EnvVar` only when the variable is set, so
definitions load with an empty environment; a run that needs a missing secret fails
in resource setup with a message naming the variable (and the demo switch), which
also reaches failure sensors, unlike a config error that never creates a run.
"""

from __future__ import annotations

import os
import threading
import zlib
from collections.abc import Sequence
from datetime import date
from typing import Any, ClassVar

from dagster import EnvVar, Failure, InitResourceContext
from pydantic import Field, PrivateAttr

from crm_assets.core.bound_resource import BoundResource, run_has_ended
from crm_assets.core.demo import DEMO_VARIABLE, demo_host, demo_mode, is_demo_url
from crm_assets.core.http import ApiClient, ClientConfig, Credential, RateLimit, RetryPolicy
from crm_assets.core.privacy import KEY_VARIABLE, Policy, PolicyError, policy_from_env
from crm_assets.core.redaction import Redactor
from crm_assets.core.spec.streams import StreamSpec, SyncMode
from crm_assets.core.sync.workers import Concurrency

# Settings prefetch_pages replaces; set, they still decide it, and the run's log says so.
DEPRECATED = ("read_ahead_pages", "pages_requested_ahead")


class SourceResource(BoundResource):
    """Settings every source shares. Subclasses add their secret and vendor details."""

    SOURCE: ClassVar[str]
    TITLE: ClassVar[str]
    SECRET_FIELD: ClassVar[str] = "api_token"
    SECRET_VARIABLE: ClassVar[str]
    START_DATE_VARIABLE: ClassVar[str]
    DEFAULT_START_DATE: ClassVar[str] = "2025-01-01"
    DEMO_PATH: ClassVar[str] = ""
    # Settings besides the secret read from the environment (field -> variable), bound
    # as EnvVars like the secret, so the UI shows the variable's name.
    ENV_FIELDS: ClassVar[dict[str, str]] = {}
    # The field naming the account the vendor URL is built from (a subdomain): a run
    # needs it unless `base_url` is set.
    ACCOUNT_FIELD: ClassVar[str | None] = None

    connection: str = Field(
        default="",
        description="The connection's name, which namespaces its assets, tables and variables "
        "(empty: the source's name).",
    )
    variables: dict[str, str] = Field(
        default_factory=dict,
        description="The environment variable each secret and setting is read from, by field.",
    )
    base_url: str
    start_date: str = Field(default=DEFAULT_START_DATE, description="YYYY-MM-DD, UTC.")
    table_prefix: str
    requests_per_second: float = Field(default=5.0, description="Client-side request rate.")
    timeout_seconds: float = 30.0
    max_attempts: int = Field(default=6, description="Tries per request, first included.")
    backoff_seconds: float = Field(default=1.0, description="First retry's backoff ceiling.")
    sync_modes: dict[str, str] = Field(
        default_factory=dict,
        description="Per-stream override of the sync mode: INCREMENTAL or FULL_TABLE.",
    )
    max_concurrent_streams: int = Field(
        default=4,
        ge=1,
        description=(
            "Streams synced at once, all within the source's one rate budget (1: one "
            "after another)."
        ),
    )
    prefetch_pages: int = Field(
        default=1,
        ge=0,
        description=(
            "Pages of a stream fetched ahead of the one being written (0: fetch, then "
            "write). Where a list's next pages can be named before the last one arrives "
            "(numbered pages, offsets, ranges of ids of a list read in full), this many are "
            "requested at once, within the rate budget; above 1 a list whose length is not "
            "announced costs up to prefetch_pages - 1 requests past its end (the README "
            "says which lists those are)."
        ),
    )
    read_ahead_pages: int | None = Field(
        default=None,
        ge=0,
        description="Deprecated: prefetch_pages replaces it (set, it decides prefetch_pages).",
    )
    pages_requested_ahead: int | None = Field(
        default=None,
        ge=0,
        description=(
            "Deprecated: prefetch_pages replaces it (set to N, prefetch_pages is at least N + 1)."
        ),
    )
    history_days: int = Field(
        default=0,
        ge=0,
        description=(
            "Keep the earlier versions of changed rows in `<table>__history` for this many "
            "days (0: no history; a sync then deletes the versions earlier runs kept)."
        ),
    )

    privacy: dict[str, list[str]] = Field(
        default_factory=dict,
        description=(
            "Personal data policy: action (keep, mask, hash, drop, scan) -> classes (email, "
            "phone, cpf, cnpj, person_name, document) or table.column. Default: keep all."
        ),
    )
    pii_key: str = Field(default="", description=f"From {KEY_VARIABLE}.")

    _demo_app: Any = PrivateAttr(default=None)
    _step_ending: threading.Event = PrivateAttr(default_factory=threading.Event)

    @classmethod
    def from_env(
        cls,
        streams: Sequence[StreamSpec] = (),
        *,
        connection: str = "",
        variables: dict[str, str] | None = None,
        **overrides: Any,
    ) -> SourceResource:
        """The resource of connection `connection` (default: the source's own), as the
        code location binds it: demo, or secrets and settings from the environment.

        `variables` overrides the variable a field is read from (`default_variables`);
        `streams` binds each stream's default sync mode, so the launchpad lists them.
        """
        name = connection or cls.SOURCE
        variables = {**cls.default_variables(name), **(variables or {})}
        settings: dict[str, Any] = {
            "connection": name,
            "variables": variables,
            "start_date": start_date_from(variables["start_date"], cls.DEFAULT_START_DATE),
            "sync_modes": {s.name: str(s.sync_mode) for s in streams},
        }
        if demo_mode():
            settings["base_url"] = demo_host(name) + cls.DEMO_PATH
        else:
            for field in (cls.SECRET_FIELD, *cls.ENV_FIELDS):
                if os.getenv(variables[field]):
                    settings[field] = EnvVar(variables[field])
        settings["privacy"] = policy_from_env()
        if os.getenv(KEY_VARIABLE):
            settings["pii_key"] = EnvVar(KEY_VARIABLE)
        return cls(**{**settings, **overrides})

    @classmethod
    def default_variables(cls, connection: str) -> dict[str, str]:
        """Field -> variable for connection `connection`: the source's own variables, with
        the connection's name in place of the source's (`SALES_EU_API_TOKEN` for
        connection `sales_eu` of a source reading `<SOURCE>_API_TOKEN`)."""
        own = {
            cls.SECRET_FIELD: cls.SECRET_VARIABLE,
            **cls.ENV_FIELDS,
            "start_date": cls.START_DATE_VARIABLE,
        }
        head = cls.SOURCE.upper() + "_"
        return {
            field: connection.upper() + "_" + variable.removeprefix(head)
            for field, variable in own.items()
        }

    @property
    def name(self) -> str:
        """The connection's name."""
        return self.connection or self.SOURCE

    @property
    def label(self) -> str:
        """How messages name the connection: the source's title, and the connection's name
        where it is not the source's."""
        return self.TITLE if self.name == self.SOURCE else f"{self.TITLE} ({self.name})"

    def variable(self, field: str) -> str:
        """The environment variable `field` is read from."""
        return self.variables.get(field) or self.default_variables(self.name)[field]

    @property
    def is_demo(self) -> bool:
        return is_demo_url(self.name, self.base_url)

    def setup_for_execution(self, context: InitResourceContext) -> None:
        # Cheap and side-effect free: `dagster job execute` sets resources up twice.
        # One per execution: a copy of this resource would share its original's.
        self._step_ending = threading.Event()
        if run_has_ended(context):  # the CLI's set-up after the run: the run said why
            return
        self.require(self.SECRET_FIELD)
        if self.ACCOUNT_FIELD and not self.base_url:
            self.require(self.ACCOUNT_FIELD)
        for stream, mode in self.sync_modes.items():
            if mode not in SyncMode.__members__:
                raise Failure(
                    f"{self.label}: sync_modes[{stream!r}] is {mode!r}; use INCREMENTAL or FULL_TABLE."
                )
        self.privacy_policy()

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        # Dagster tears resources down as a step ends, also when it ends by an interrupt
        # raised between two of the step's events, which leaves the step's generator
        # suspended and never closed: its streams' threads see this and stop at a page
        # boundary, instead of holding the step process open until they finish.
        self._step_ending.set()

    def step_ending(self) -> threading.Event:
        """Set once Dagster tears this resource down: the step is ending, whatever its
        generator was told."""
        return self._step_ending

    def privacy_policy(self) -> Policy:
        """The validated policy; raises Failure naming the problem (or the missing key)."""
        try:
            policy = Policy(self.privacy, self.pii_key)
        except PolicyError as exc:
            raise Failure(f"{self.label}: {exc}") from None
        if policy.needs_key and not self.pii_key:
            raise Failure(
                f"{self.label}: the privacy policy hashes personal data, which needs a secret "
                f"key in {KEY_VARIABLE}, which is not set. Export it (keep it: a new key "
                "changes every hash) and restart Dagster."
            )
        if self.pii_key:
            Redactor([self.pii_key])
        return policy

    def require(self, field: str) -> None:
        variable = self.variable(field)
        if not self.is_demo and not getattr(self, field):
            raise Failure(
                f"{self.label} needs {variable}, which is not set. Export it and restart "
                f"Dagster, or set {DEMO_VARIABLE}=1 to run on the built-in demo data."
            )

    def secret(self) -> str:
        value = getattr(self, self.SECRET_FIELD)
        if not value and self.is_demo:
            return self.emulator().token
        self.require(self.SECRET_FIELD)
        return value

    def sync_mode(self, stream: StreamSpec) -> SyncMode:
        return SyncMode(self.sync_modes.get(stream.name, stream.sync_mode))

    def start(self) -> date:
        return date.fromisoformat(self.start_date)

    def concurrency(self) -> Concurrency:
        """How much of a run happens at once: the streams side by side and the pages each
        fetches ahead (`prefetch_pages`, or what the deprecated names set ask for)."""
        prefetch = self.prefetch_pages
        if self.read_ahead_pages is not None or self.pages_requested_ahead is not None:
            read_ahead = 1 if self.read_ahead_pages is None else self.read_ahead_pages
            requested = self.pages_requested_ahead or 0
            prefetch = max(read_ahead, requested + 1) if requested else read_ahead
        return Concurrency(streams=self.max_concurrent_streams, prefetch=prefetch)

    def deprecation_note(self) -> str | None:
        """What the run's log should say about deprecated settings that are set, if any."""
        named = [name for name in DEPRECATED if getattr(self, name) is not None]
        if not named:
            return None
        prefetch = self.concurrency().prefetch
        return (
            f"{self.TITLE}: {' and '.join(named)} {'is' if len(named) == 1 else 'are'} "
            f"deprecated; prefetch_pages replaces {'it' if len(named) == 1 else 'them'}. This "
            f"run fetches {prefetch} page(s) of each stream ahead, as set; to keep that, set "
            f"prefetch_pages to {prefetch} and remove {' and '.join(named)}."
        )

    def client(self, logger: Any = None, concurrency: Concurrency | None = None) -> ApiClient:
        """A new client for one run whose threads are those of `concurrency` (default: the
        resource's); close it (use `with`)."""
        threads = (concurrency or self.concurrency()).width
        client = ApiClient(self.client_config(), logger=logger, connections=threads)
        if self.is_demo:
            from crm_assets.core.emulation import WSGIAdapter

            client.mount(demo_host(self.name), WSGIAdapter(self.emulator()))
        return client

    def emulator(self) -> Any:
        if self._demo_app is None:
            self._demo_app = self.build_emulator()
        return self._demo_app

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(max_attempts=self.max_attempts, backoff_base=self.backoff_seconds)

    def rate_limit(self) -> RateLimit:
        return RateLimit.per_second(self.requests_per_second)

    # -- what each source supplies ---------------------------------------------

    def client_config(self) -> ClientConfig:
        raise NotImplementedError

    def credential(self) -> Credential:
        raise NotImplementedError

    def demo_seed(self, source_seed: int) -> int:
        """The seed of this connection's demo data: the source's own for its own
        connection, one of the connection's name for any other, so two demo connections
        of one source hold different accounts."""
        return source_seed if self.name == self.SOURCE else zlib.crc32(self.name.encode()) % 10_000

    def build_emulator(self) -> Any:
        raise NotImplementedError


def start_date_from(variable: str, default: str) -> str:
    """The start date `variable` holds, else `default`; a malformed one is refused."""
    value = os.getenv(variable) or default
    try:
        date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{variable}={value!r} is not a date; use YYYY-MM-DD.") from None
    return value
