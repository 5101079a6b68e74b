"""Seeded, deterministic Brazilian insurance data for the emulated models.

Quotations (`mut.insurance.quotation`) become policies (`mut.policy`, linked by
`equotation_id`) with one to three vehicle certificates each, and every
certificate has a few coverages. Payments (`account.payment`) come in every state
and both directions, some reconciled against invoices. Every model has records
created over the two years before the anchor day; about a third were written on the
anchor day itself, and many of those share one `write_date` (a mass update, as a
server action or an import does), which is what keyset paging must get right.

Histories hold together: a policy is created after its quotation, whose status is
then `accepted`; `expired` quotations are past their validity date; policies are
`active`, `expired` once past their expiry date, or `cancelled` (one in seven).
Archived quotations (`active` false, hidden unless the context says `active_test:
false`) are some expired and refused ones. Nothing is dated before 2025-01-01, the
connectors' default start date, so a default sync reads every record.

Values are kept as Odoo stores them: a many2one as the related id (or False), x2many
as lists of ids, dates as `YYYY-MM-DD`, datetimes as UTC `YYYY-MM-DD HH:MM:SS`.
"""

from __future__ import annotations

import base64
import random
from datetime import date, datetime, time, timedelta
from typing import Any

from crm_assets.sources.odoo.emulator.fields import DESCRIPTIONS, LOOKUPS, MODELS, REPORTS, XMLIDS

Record = dict[str, Any]
DEFAULT_SIZES = {"res.partner": 400, "mut.insurance.quotation": 1500, "account.payment": 2500}
FMT = "%Y-%m-%d %H:%M:%S"
# The connectors' default start date (SourceResource.DEFAULT_START_DATE): no record is
# created before it, unless the anchor day leaves less than a month after it.
EARLIEST = date(2025, 1, 1)
VALIDITY_DAYS = 30

_FIRST = [
    "Ana",
    "Bruno",
    "Carla",
    "Diego",
    "Eduarda",
    "Felipe",
    "Gabriela",
    "Henrique",
    "Isabela",
    "João",
    "Larissa",
    "Marcos",
    "Natália",
    "Otávio",
    "Patrícia",
    "Rafael",
]
_LAST = [
    "Silva",
    "Santos",
    "Oliveira",
    "Souza",
    "Rodrigues",
    "Ferreira",
    "Alves",
    "Pereira",
    "Lima",
    "Gomes",
    "Costa",
    "Ribeiro",
    "Martins",
    "Carvalho",
    "Almeida",
]
_CITIES = [
    ("São Paulo", "SP"),
    ("Rio de Janeiro", "RJ"),
    ("Belo Horizonte", "MG"),
    ("Curitiba", "PR"),
    ("Porto Alegre", "RS"),
    ("Salvador", "BA"),
    ("Recife", "PE"),
    ("Campinas", "SP"),
    ("Florianópolis", "SC"),
    ("Goiânia", "GO"),
]
_STREETS = [
    "Rua das Flores",
    "Avenida Paulista",
    "Rua XV de Novembro",
    "Avenida Brasil",
    "Rua da Consolação",
    "Avenida Afonso Pena",
    "Rua Augusta",
]
_VEHICLES = [("Fiat", "Strada", 1300), ("Volkswagen", "Gol", 1000), ("Chevrolet", "Onix", 1000),
             ("Toyota", "Corolla", 2000), ("Hyundai", "HB20", 1600), ("Honda", "CG 160", 160),
             ("Jeep", "Compass", 1300), ("Renault", "Kwid", 1000)]  # fmt: skip
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_METHOD_CODES = ["manual", "pix", "boleto"]


class Generator:
    """Builds every model's records for (seed, anchor, sizes)."""

    def __init__(self, anchor: date, sizes: dict[str, int], seed: int):
        self.rng = random.Random(seed)
        self.anchor = anchor
        self.sizes = {**DEFAULT_SIZES, **sizes}
        self.tables: dict[str, dict[int, Record]] = {model: {} for model in MODELS}
        # The mass update: one instant shared by many records written on the anchor day.
        self.mass_write = datetime.combine(anchor, time(9, 30))
        self._written_count = 0
        self.floor = datetime.combine(min(EARLIEST, anchor - timedelta(days=30)), time())
        self.reach = (anchor - self.floor.date()).days

    def build(self) -> dict[str, dict[int, Record]]:
        for model, names in LOOKUPS.items():
            for name in names:
                self._add(model, {"name": name}, created=self._past(1100, 1000))
        business = [m for m in MODELS if m.startswith(("mut.", "account.payment", "res.partner"))]
        for model in business:
            self._add("ir.model", self._model(model), self._past(1100, 1000))
        for _ in range(self.sizes["res.partner"]):
            self._add("res.partner", self._person(), self._past(1000, 0))
        for _ in range(self.sizes["mut.insurance.quotation"]):
            self._quotation()
        for _ in range(self.sizes["account.payment"]):
            self._payment()
        # The technical records come last and draw nothing at random, so the business
        # records are the same for a seed whatever is listed here.
        for model in MODELS:
            if model not in business:
                self._installed("ir.model", self._model(model))
        for module, name, model, res_id in XMLIDS:
            self._installed("ir.model.data", {"module": module, "name": name, "model": model,
                                              "res_id": res_id})  # fmt: skip
        for name, model, report_name, report_type in REPORTS:
            self._installed("ir.actions.report", {"name": name, "model": model,
                            "report_name": report_name, "report_type": report_type})  # fmt: skip
        return self.tables

    @staticmethod
    def _model(model: str) -> Record:
        return {"name": DESCRIPTIONS[model], "model": model}

    def _installed(self, model: str, values: Record) -> None:
        """A record the modules' data files create when installed, on the earliest day."""
        table = self.tables[model]
        record_id = len(table) + 1
        table[record_id] = new_record(model, record_id, MODELS[model], values, self.floor,
                                      self.floor, 1)  # fmt: skip

    # -- records -------------------------------------------------------------------

    def _add(self, model: str, values: Record, created: datetime) -> Record:
        table = self.tables[model]
        record_id = len(table) + 1
        written, writer = self._written(created), self.rng.randint(2, 4)
        record = new_record(model, record_id, MODELS[model], values, created, written, writer)
        table[record_id] = record
        return record

    def _past(self, oldest_days: int, newest_days: int) -> datetime:
        """A moment between `oldest_days` and `newest_days` before the anchor day, never
        before the floor (the default start date)."""
        oldest = min(oldest_days, self.reach)
        seconds = self.rng.randint(min(newest_days, oldest) * 86400, oldest * 86400)
        moment = datetime.combine(self.anchor, time()) - timedelta(seconds=seconds + 3600)
        return max(moment, self.floor)

    def _written(self, created: datetime) -> datetime:
        self._written_count += 1
        if self._written_count % 6 == 0:  # one record in six: the mass update
            return self.mass_write
        if self.rng.random() < 0.18:
            return datetime.combine(self.anchor, time()) + timedelta(
                seconds=self.rng.randint(0, 86399)
            )
        latest = datetime.combine(self.anchor, time()) - timedelta(seconds=1)
        span = max(0, int((latest - created).total_seconds()))
        return created + timedelta(seconds=self.rng.randint(0, min(span, 60 * 86400)))

    def _person(self) -> Record:
        rng = self.rng
        name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)} {rng.choice(_LAST)}"
        city = rng.choice(_CITIES)[0]
        email = name.lower().split()[0] + str(rng.randint(1, 999)) + "@exemplo.com.br"
        return {"name": name, "vat": self._cpf(), "email": email, "city": city,
                "phone": f"+55 11 9{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}",
                "active": rng.random() > 0.05}  # fmt: skip

    def _cpf(self) -> str:
        digits = [self.rng.randint(0, 9) for _ in range(9)]
        for weight in (10, 11):
            total = sum(d * (weight - i) for i, d in enumerate(digits))
            digits.append((total * 10 % 11) % 10)
        text = "".join(map(str, digits))
        return f"{text[:3]}.{text[3:6]}.{text[6:9]}-{text[9:]}"

    def _proponent(self, partner: Record) -> Record:
        rng = self.rng
        city, state = rng.choice(_CITIES)
        zip_number = f"{rng.randint(10000, 99999)}{rng.randint(0, 999):03d}"
        return {"partner_id": partner["id"], "proponent_type": "person",
                "proponent_name": partner["name"], "proponent_vat": partner["vat"],
                "proponent_email": partner["email"], "proponent_phone": partner["phone"],
                "proponent_birth_date": date(rng.randint(1950, 2004), rng.randint(1, 12),
                                             rng.randint(1, 28)).isoformat(),
                "proponent_gender": rng.choice(["male", "female"]),
                "proponent_marital_status": rng.choice(["single", "married", "divorced"]),
                "proponent_nationality": "Brasileira", "proponent_pep": rng.random() < 0.02,
                "proponent_city": city, "proponent_zip_number": zip_number,
                "proponent_zip": f"{zip_number[:5]}-{zip_number[5:]}",
                "proponent_street_name": rng.choice(_STREETS),
                "proponent_street_number": str(rng.randint(1, 3000)),
                "proponent_district": "Centro", "proponent_street2": False,
                "proponent_rg": str(rng.randint(10_000_000, 99_999_999)),
                "proponent_driver_license": str(rng.randint(10**10, 10**11 - 1))}  # fmt: skip

    def _quotation(self) -> None:
        rng = self.rng
        partner = rng.choice(list(self.tables["res.partner"].values()))
        created = self._past(730, 1)
        number = len(self.tables["mut.insurance.quotation"]) + 1
        premium = round(rng.uniform(900, 9000), 2)
        status = rng.choice(["draft", "sent", "accepted", "accepted", "refused", "expired"])
        valid_until = created.date() + timedelta(days=VALIDITY_DAYS)
        if status == "expired" and valid_until >= self.anchor:
            status = "sent"  # still valid: it cannot have expired yet
        archived = rng.random() < (0.5 if status == "expired" else 0.2)
        quotation = self._add("mut.insurance.quotation", {
            "name": f"PROP/{created.year}/{number:06d}", "status": status,
            # Archiving clears out dead quotations: some expired and refused ones.
            "active": not (archived and status in ("expired", "refused")),
            "validity_date": valid_until.isoformat(),
            "standard_duration": 12, "product_id": rng.randint(1, 4),
            "total_premium_amount": premium, "first_installment_amount": round(premium / 10, 2),
            "installments_due_day": rng.choice([5, 10, 15, 20]), "factor": 1.0,
            "is_renewal": rng.random() < 0.2, "currency_id": 1, "user_id": rng.randint(2, 4),
            "access_token": f"{rng.getrandbits(64):016x}", **self._proponent(partner),
        }, created)  # fmt: skip
        if status == "accepted":
            # Issued one to ten days after acceptance, and not after the anchor day began.
            latest = datetime.combine(self.anchor, time()) - timedelta(minutes=1)
            issued = created + timedelta(days=rng.randint(1, 10), seconds=rng.randint(0, 86399))
            policy = self._policy(quotation, min(issued, latest))
            # Issuing the policy writes the quotation too, and a later write of one (a
            # mass update) touches both: they share their last write.
            touched = max(quotation["write_date"], policy["write_date"], policy["create_date"])
            quotation["write_date"] = policy["write_date"] = touched

    def _policy(self, quotation: Record, created: datetime) -> Record:
        rng = self.rng
        issued = created.date()
        expiry = issued + timedelta(days=366)
        state = (
            "cancelled"
            if rng.random() < 1 / 7
            else "expired"
            if expiry < self.anchor
            else ("active")
        )
        proponent = {k: v for k, v in quotation.items() if k.startswith(("proponent_", "partner"))}
        policy = self._add("mut.policy", {
            "name": f"APL/{issued.year}/{quotation['id']:06d}", "equotation_id": quotation["id"],
            "state": state,
            "status": _issue_status(state, quotation["is_renewal"], issued, self.anchor),
            "policy_type": "auto", "issue_date": issued.isoformat(),
            "effective_date": (issued + timedelta(days=1)).isoformat(),
            "expiry_date": expiry.isoformat(),
            "total_premium_amount": quotation["total_premium_amount"],
            "first_installment_amount": quotation["first_installment_amount"],
            "currency_id": 1, "user_id": quotation["user_id"],
            "insurance_product_id": quotation["product_id"],
            "is_renewal": quotation["is_renewal"], "is_payment_overdue": rng.random() < 0.1,
            "x_ebao_code": f"EB{rng.randint(10**7, 10**8 - 1)}", **proponent,
        }, created)  # fmt: skip
        for _ in range(rng.randint(1, 3)):
            self._certificate(policy, created)
        return policy

    def _certificate(self, policy: Record, created: datetime) -> None:
        rng = self.rng
        maker, model, cc = rng.choice(_VEHICLES)
        plate = "".join(rng.choice(_LETTERS) for _ in range(3)) + (
            f"{rng.randint(0, 9)}{rng.choice(_LETTERS)}{rng.randint(10, 99)}"
        )
        year = rng.randint(2010, self.anchor.year)
        fipe = round(rng.uniform(15_000, 180_000), 2)
        premium = round(fipe * rng.uniform(0.02, 0.06), 2)
        certificate = self._add("mut.policy.certificate", {
            "name": f"{policy['name']}-{len(self.tables['mut.policy.certificate']) + 1}",
            "state": policy["state"] if policy["state"] != "expired" else "cancelled",
            "policy_id": policy["id"], "policy_no": policy["name"], "vehicle_plate": plate,
            "vehicle_chassis": f"9BW{rng.getrandbits(56):014X}", "vehicle_fipe_value": fipe,
            "vehicle_manufacture_year": year, "vehicle_model_year": year + rng.randint(0, 1),
            "vehicle_fipe_code": f"{rng.randint(0, 99):03d}{rng.randint(0, 999):03d}-{rng.randint(0, 9)}",
            # A character field that some records hold as a number (a computed value
            # written without conversion): Odoo returns it as JSON 1600, not "1600".
            "vehicle_cc": cc if rng.random() < 0.5 else str(cc),
            "vehicle_fuel_type": rng.choice(["flex", "gasoline", "diesel", "electric"]),
            "vehicle_zero_km": year == self.anchor.year, "vehicle_armored": rng.random() < 0.03,
            "premium_amount": premium, "item_amount": fipe, "currency_id": 1,
            "effective_date": policy["effective_date"], "expiry_date": policy["expiry_date"],
        }, created)  # fmt: skip
        policy["certificate_ids"] = [*policy["certificate_ids"], certificate["id"]]
        for coverage_id in rng.sample(range(1, 8), rng.randint(2, 5)):
            self._coverage(certificate, coverage_id, created)

    def _coverage(self, certificate: Record, coverage_id: int, created: datetime) -> None:
        rng = self.rng
        name = LOOKUPS["mut.coverage"][coverage_id - 1]
        deductible = coverage_id in (1, 6)
        coverage = self._add("mut.certificate.coverage", {
            "name": name, "code": f"COB{coverage_id:02d}", "state": certificate["state"],
            "certificate_id": certificate["id"], "coverage_id": coverage_id,
            "coverage_type": "basic" if coverage_id <= 3 else "additional",
            "has_deductible": deductible,
            "premium_amount": round(certificate["premium_amount"] * rng.uniform(0.05, 0.4), 2),
            "deductible_amount": round(certificate["item_amount"] * 0.05, 2) if deductible else 0.0,
            "sum_insured": certificate["item_amount"] if coverage_id <= 3 else 50_000.0,
            "description": f"Cobertura de {name.lower()} conforme condições gerais.",
            # Binary fields read as base64 text; most coverages have no image (false).
            "image": base64.b64encode(f"<svg>{name}</svg>".encode()).decode()
            if coverage_id == 7 else False,
            "currency_id": 1,
        }, created)  # fmt: skip
        certificate["coverage_ids"] = [*certificate["coverage_ids"], coverage["id"]]

    def _payment(self) -> None:
        rng = self.rng
        created = self._past(730, 0)
        inbound = rng.random() < 0.75
        state = rng.choice(["draft", "posted", "posted", "sent", "reconciled", "cancelled"])
        reconciled = state == "reconciled"
        amount = round(rng.uniform(50, 8000), 2)
        sign = 1 if inbound else -1
        number = len(self.tables["account.payment"]) + 1
        prefix = "PREC" if inbound else "PPAG"
        method = rng.randint(1, 3)
        self._add("account.payment", {
            "name": f"{prefix}/{created.year}/{number:05d}" if state != "draft" else "/",
            "date": created.date().isoformat(), "amount": amount, "amount_signed": sign * amount,
            "amount_company_currency_signed": sign * amount, "state": state,
            "payment_type": "inbound" if inbound else "outbound",
            "partner_type": "customer" if inbound else "supplier",
            "memo": f"Parcela {rng.randint(1, 12)}/12" if inbound else "Indenização de sinistro",
            "payment_reference": False, "currency_id": 1, "company_currency_id": 1,
            "journal_id": rng.randint(1, 4), "payment_method_line_id": method,
            "payment_method_id": method, "payment_method_code": _METHOD_CODES[method - 1],
            "partner_id": rng.randint(1, self.sizes["res.partner"]),
            "is_reconciled": reconciled, "is_matched": reconciled and rng.random() < 0.7,
            "is_sent": state == "sent",
            "reconciled_invoice_ids": sorted(rng.sample(range(1, 5000), rng.randint(1, 2)))
            if reconciled and inbound else [],
            "reconciled_bill_ids": [rng.randint(1, 5000)] if reconciled and not inbound else [],
        }, created)  # fmt: skip


def _issue_status(state: str, renewal: bool, issued: date, anchor: date) -> str:
    """`status` of a policy: `renewed` when it renews an earlier one, `pending` while a
    live policy issued in the last fortnight awaits its documents, else `issued`."""
    if renewal:
        return "renewed"
    if state == "active" and (anchor - issued).days < 15:
        return "pending"
    return "issued"


def new_record(
    model: str,
    record_id: int,
    fields: dict[str, dict[str, Any]],
    values: Record,
    created: datetime,
    written: datetime,
    write_uid: int = 2,
) -> Record:
    """A stored record as Odoo keeps one: `values` over the audit columns, the company,
    and every other stored field empty (`false`, or `[]` for x2many)."""
    record = {"id": record_id, "create_date": created.strftime(FMT),
              "write_date": written.strftime(FMT), "create_uid": 2,
              "write_uid": write_uid}  # fmt: skip
    if "company_id" in fields:
        record["company_id"] = 1
    for name, spec in fields.items():
        if spec["store"] and name not in record and name not in values:
            record[name] = [] if spec["type"] in ("one2many", "many2many") else False
    record.update(values)
    record["display_name"] = record.get("name") or f"{model},{record_id}"
    return record
